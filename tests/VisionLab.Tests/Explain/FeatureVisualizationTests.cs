using SkiaSharp;
using Spectre.Console.Cli;
using VisionLab.Cli.Commands;
using VisionLab.Data.Transforms;
using VisionLab.Data.Transforms.Images;
using VisionLab.Explain;
using VisionLab.Models;
using VisionLab.Runtime;
using VisionLab.Training;
using VisionLab.Tests.Support;
using static TorchSharp.torch;

namespace VisionLab.Tests.Explain;

/// <summary>
/// Feature maps and first-layer filters as pictures: the channels asked for, each scaled to the full
/// grey range on its own, enlarged by whole pixels; and the <c>explain-features</c> command writing
/// both grids.
/// </summary>
public class FeatureVisualizationTests
{
    private static ImageClassifier SeededResNet()
    {
        TorchRuntime.Seed(11);
        var model = ModelZoo.Create("resnet18", new ModelOptions(4));
        model.eval();
        return model;
    }

    private static Tensor SeededImage(int size = 64)
    {
        var generator = new Generator(12);
        return randn([1, 3, size, size], generator: generator);
    }

    [Fact]
    public void Most_active_channels_come_largest_mean_first_each_normalised_and_enlarged_by_whole_pixels()
    {
        using var model = SeededResNet();
        using var image = SeededImage();
        var cells = FeatureVisualization.FeatureMaps(model, image, "layer1", 6, ChannelChoice.MostActive);

        float[] means;
        using (var _ = no_grad())
        {
            var (output, features) = FeatureExtractor.Run(model, image, "layer1");
            using (output)
            using (var maps = features["layer1"])
            using (var channelMeans = maps[0].mean([1, 2]))
                means = channelMeans.data<float>().ToArray();
        }
        var expected = Enumerable.Range(0, means.Length).OrderByDescending(c => means[c]).Take(6).ToArray();
        Assert.Equal(expected, cells.Select(c => c.Index));

        foreach (var cell in cells)
        {
            // layer1 of a 64-pixel input is 16×16: enlarged 6 times to 96.
            Assert.Equal((96, 96, 1, 6), (cell.Width, cell.Height, cell.Channels, cell.Scale));
            Assert.Equal(0, cell.Pixels.Min());
            Assert.Equal(255, cell.Pixels.Max());
            for (int y = 0; y < 96; y++)
                for (int x = 0; x < 96; x++)
                    Assert.Equal(cell.Pixels[y / 6 * 6 * 96 + x / 6 * 6], cell.Pixels[y * 96 + x]);
        }

        var first = FeatureVisualization.FeatureMaps(model, image, "layer1", 5, ChannelChoice.First);
        Assert.Equal([0, 1, 2, 3, 4], first.Select(c => c.Index));
    }

    [Fact]
    public void Without_a_layer_the_maps_are_those_grad_cam_reads_and_an_unknown_layer_is_named()
    {
        using var model = SeededResNet();
        using var image = SeededImage();
        var cells = FeatureVisualization.FeatureMaps(model, image, null, 3);
        // The backbone's output at 64 pixels: 2×2 maps of 512 channels, enlarged 48 times.
        Assert.All(cells, c => Assert.Equal((96, 48), (c.Width, c.Scale)));
        var error = Assert.Throws<VisionLabException>(() => FeatureVisualization.FeatureMaps(model, image, "layer9", 3));
        Assert.Contains("layer9", error.Message);
    }

    [Fact]
    public void First_convolution_filters_are_rgb_for_colour_input_and_grey_per_channel_otherwise()
    {
        using var model = SeededResNet();
        var filters = FeatureVisualization.FirstConvolutionFilters(model, 64);
        Assert.Equal("conv1", FeatureVisualization.FirstConvolutionName(model));
        Assert.Equal(64, filters.Count);
        // 7×7 kernels enlarged 13 times (96 / 7).
        Assert.All(filters, f => Assert.Equal((91, 91, 3, 13), (f.Width, f.Height, f.Channels, f.Scale)));

        // Filter 5's three kernels scaled together: its largest weight is white in its channel.
        using var weight = model.named_parameters().Single(p => p.name == "conv1.weight").parameter.detach()[5].contiguous();
        var w = weight.data<float>().ToArray();
        float min = w.Min(), max = w.Max();
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < 49; p++)
            {
                byte expected = (byte)Math.Round(255.0 * (w[c * 49 + p] - min) / (max - min));
                int y = p / 7 * 13, x = p % 7 * 13;
                Assert.Equal(expected, filters[5].Pixels[(y * 91 + x) * 3 + c]);
            }

        using var lenet = ModelZoo.Create("lenet5", new ModelOptions(10, 1));
        var grey = FeatureVisualization.FirstConvolutionFilters(lenet, 100);
        Assert.Equal(6, grey.Count);
        Assert.All(grey, f => Assert.Equal((95, 1, 19), (f.Width, f.Channels, f.Scale)));
        Assert.Equal(4, FeatureVisualization.FirstConvolutionFilters(lenet, 4).Count);
    }

    [Fact]
    public void The_grid_is_a_png_with_the_input_first()
    {
        using var model = SeededResNet();
        using var image = SeededImage();
        var cells = FeatureVisualization.FeatureMaps(model, image, "layer2", 4);
        using var lead = VisionLab.Data.Images.ByteImage.Filled(64, 64, 3, [200, 10, 10]);
        var png = FeatureVisualization.RenderPng(cells, "layer2", lead);
        using var bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        Assert.True(bitmap.Width >= 3 * 96 && bitmap.Height >= 2 * 96, $"{bitmap.Width}x{bitmap.Height} for 5 cells of up to 96 pixels");
    }

    [Fact]
    public void Explain_features_writes_the_feature_maps_of_an_image_and_the_filters()
    {
        using var temp = new TempFolder();
        string checkpoint = temp.File("model.ckpt");
        using (var model = SeededResNet())
        {
            Checkpoint.Save(checkpoint, new CheckpointInfo
            {
                Model = "resnet18", NumClasses = 4, InChannels = 3, Classes = ["a", "b", "c", "d"],
                EvalTransform = new EvalTransform(3, 64, 64, ToTensorNormalize.ImageNetMean, ToTensorNormalize.ImageNetStd, ImageTransforms.EvalResizeFor(64)),
                Data = "test", Epoch = 0,
            }, model);
        }
        string picture = temp.File("picture.png");
        using (var bitmap = new SKBitmap(80, 90))
        {
            using (var canvas = new SKCanvas(bitmap))
            {
                canvas.Clear(SKColors.DarkSlateGray);
                using var paint = new SKPaint { Color = SKColors.Orange };
                canvas.DrawCircle(40, 45, 20, paint);
            }
            using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(picture, data.ToArray());
        }

        string output = Path.Combine(temp.Path, "out");
        Assert.Equal(0, Run("explain-features", "--checkpoint", checkpoint, picture, "--layer", "layer1", "--count", "8", "--out", output));
        using (var features = SKBitmap.Decode(Path.Combine(output, "features.png")))
        using (var filters = SKBitmap.Decode(Path.Combine(output, "filters.png")))
        {
            Assert.NotNull(features);
            Assert.NotNull(filters);
        }

        // Without an image only the filters are drawn.
        string filtersOnly = Path.Combine(temp.Path, "filters-only");
        Assert.Equal(0, Run("explain-features", "--checkpoint", checkpoint, "--out", filtersOnly));
        Assert.True(File.Exists(Path.Combine(filtersOnly, "filters.png")));
        Assert.False(File.Exists(Path.Combine(filtersOnly, "features.png")));

        Assert.NotEqual(0, Run("explain-features", "--out", output));
        Assert.NotEqual(0, Run("explain-features", "--checkpoint", checkpoint, picture, "--order", "loudest", "--out", output));
    }

    // The command runs in process, registered as the CLI registers it under 'explain'.
    private static int Run(params string[] args)
    {
        var app = new CommandApp();
        app.Configure(config => config.AddCommand<ExplainFeaturesCommand>("explain-features"));
        return app.Run(args);
    }
}
