using VisionLab.Data;
using VisionLab.Data.Images;
using VisionLab.Data.Transforms.Images;

namespace VisionLab.Tests.Data.Transforms.Images;

public class RandomTransformTests
{
    private static ByteImage Pattern(int width, int height, int channels = 3, int seed = 1)
    {
        var pixels = new byte[width * height * channels];
        new Random(seed).NextBytes(pixels);
        return ByteImage.Wrap(pixels, width, height, channels);
    }

    private static float[] Run(ImagePipeline pipeline, ByteImage image, int seed) => pipeline.Apply(image, new Random(seed), out _);

    [Fact]
    public void The_same_seed_gives_the_same_training_sample_and_other_seeds_differ()
    {
        using var image = Pattern(200, 150);
        var train = new ImagePipeline(
            [new RandomResizedCrop(64), new RandomHorizontalFlip(), new ColorJitter(0.4, 0.4, 0.4, 0.1), new RandomRotation(15, Interpolation.Bilinear),
             new RandomGrayscale(0.2)],
            new ToTensorNormalize(), [new RandomErasing(p: 1)]);
        Assert.Equal(Run(train, image, 42), Run(train, image, 42));
        Assert.NotEqual(Run(train, image, 42), Run(train, image, 43));
    }

    [Fact]
    public void RandomResizedCrop_regions_lie_inside_with_the_allowed_area_and_aspect()
    {
        var crop = new RandomResizedCrop(32);
        var random = new Random(5);
        var areas = new List<double>();
        for (int i = 0; i < 2000; i++)
        {
            var region = crop.SampleRegion(300, 400, random);
            Assert.True(region.LiesWithin(400, 300), region.ToString());
            double share = (double)region.Width * region.Height / (400 * 300);
            double aspect = (double)region.Width / region.Height;
            // Rounding the sides to whole pixels moves area and aspect slightly past the bounds.
            Assert.InRange(share, 0.08 * 0.95, 1.0);
            Assert.InRange(aspect, 0.75 * 0.97, 4.0 / 3.0 * 1.03);
            areas.Add(share);
        }
        // Area shares are drawn uniformly from [0.08, 1]; big ones are rejected more often, so the mean sits below 0.54.
        Assert.InRange(areas.Average(), 0.35, 0.54);
    }

    [Fact]
    public void RandomResizedCrop_falls_back_to_the_centre_crop_at_the_nearest_allowed_aspect()
    {
        var crop = new RandomResizedCrop(32);
        // No region of a 1000x10 strip has 8% of its area and a 3:4..4:3 aspect, so every draw fails.
        Assert.Equal(new PixelRegion(0, 493, 10, 13), crop.SampleRegion(10, 1000, new Random(1)));
        Assert.Equal(new PixelRegion(493, 0, 13, 10), crop.SampleRegion(1000, 10, new Random(1)));
    }

    [Fact]
    public void Flips_happen_with_their_probability()
    {
        using var image = Pattern(4, 3);
        var random = new Random(9);
        var flip = new RandomHorizontalFlip(0.3);
        int flipped = 0;
        for (int i = 0; i < 4000; i++)
        {
            var result = flip.Apply(image, random);
            if (!ReferenceEquals(result, image)) { flipped++; result.Dispose(); }
        }
        Assert.InRange(flipped / 4000.0, 0.27, 0.33);
        Assert.Same(image, new RandomVerticalFlip(0).Apply(image, random));
    }

    [Fact]
    public void ColorJitter_draws_factors_in_their_ranges_and_a_permutation_of_the_four()
    {
        var jitter = new ColorJitter(brightness: 0.4, contrast: 0.2, saturation: 1.5, hue: 0.1);
        var random = new Random(2);
        for (int i = 0; i < 500; i++)
        {
            var factors = jitter.Sample(random);
            Assert.Equal([0, 1, 2, 3], factors.Order.Order());
            Assert.InRange(factors.Brightness!.Value, 0.6, 1.4);
            Assert.InRange(factors.Contrast!.Value, 0.8, 1.2);
            Assert.InRange(factors.Saturation!.Value, 0.0, 2.5);
            Assert.InRange(factors.Hue!.Value, -0.1, 0.1);
        }
        var none = new ColorJitter().Sample(random);
        Assert.Null(none.Brightness);
        Assert.Null(none.Hue);
    }

    [Fact]
    public void RandomCrop_with_padding_reaches_every_offset_and_pads_when_needed()
    {
        using var image = Pattern(8, 8, 1);
        var crop = RandomCrop.Square(8, padding: 2);
        var random = new Random(4);
        var corners = new HashSet<byte>();
        for (int i = 0; i < 400; i++)
        {
            using var result = crop.Apply(image, random);
            Assert.Equal((8, 8), (result.Width, result.Height));
            corners.Add(result.Pixels[0]);
        }
        Assert.True(corners.Count > 5, "crop positions barely vary");
        using var small = Pattern(5, 3);
        using var padded = new RandomCrop(6, 7, padIfNeeded: true, paddingMode: PaddingMode.Reflect).Apply(small, random);
        Assert.Equal((7, 6), (padded.Width, padded.Height));
        Assert.Throws<VisionLabException>(() => new RandomCrop(6, 7).Apply(small, random));
    }

    [Fact]
    public void RandomErasing_erases_a_rectangle_of_the_allowed_area_with_the_value()
    {
        var shape = new ImageShape(3, 40, 50);
        var erasing = new RandomErasing(p: 1, value: new ErasingValue.Constant(-7f));
        var random = new Random(11);
        for (int i = 0; i < 200; i++)
        {
            var image = Enumerable.Repeat(1f, shape.Elements).ToArray();
            erasing.Apply(image, shape, random);
            int erased = image.Count(v => v == -7f);
            Assert.Equal(0, erased % 3);
            double share = erased / 3.0 / (40 * 50);
            Assert.True(share == 0 || share is >= 0.015 and <= 0.35, $"erased share {share}");
        }
        var untouched = Enumerable.Repeat(1f, shape.Elements).ToArray();
        new RandomErasing(p: 0).Apply(untouched, shape, random);
        Assert.All(untouched, v => Assert.Equal(1f, v));
    }

    [Fact]
    public void RandomRotation_and_RandomGrayscale_keep_size_and_channels()
    {
        using var image = Pattern(30, 20);
        var random = new Random(3);
        using var rotated = new RandomRotation((10, 20)).Apply(image, random);
        Assert.Equal((30, 20, 3), (rotated.Width, rotated.Height, rotated.Channels));
        using var grey = new RandomGrayscale(1).Apply(image, random);
        Assert.Equal(3, grey.Channels);
        Assert.True(grey.Pixels[0] == grey.Pixels[1] && grey.Pixels[1] == grey.Pixels[2]);
    }

    [Fact]
    public void Compose_disposes_intermediates_but_never_its_input()
    {
        using var image = Pattern(50, 40);
        var compose = new Compose(new Resize(20), new CenterCrop(16), new RandomHorizontalFlip(0));
        using var result = compose.Apply(image, new Random(1));
        Assert.Equal((16, 16), (result.Width, result.Height));
        Assert.Equal(50 * 40 * 3, image.Pixels.Length);
    }

    [Fact]
    public void Presets_have_torchvision_sizes_and_a_fixed_output_shape()
    {
        Assert.Equal(new ImageShape(3, 224, 224), ImageTransforms.Train(224).OutputShape);
        Assert.Equal(new ImageShape(3, 224, 224), ImageTransforms.Eval(224).OutputShape);
        Assert.Equal(256, ImageTransforms.EvalResizeFor(224));
        Assert.Null(new ImagePipeline([new Resize(100)], new ToTensorNormalize()).OutputSize);
        using var image = Pattern(300, 200);
        var destination = new float[3 * 224 * 224];
        ImageTransforms.Train(224).Apply(image, new Random(1), destination);
        Assert.Contains(destination, v => v != 0);
    }
}
