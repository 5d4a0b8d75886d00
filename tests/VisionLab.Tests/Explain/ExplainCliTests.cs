using System.Text.Json;
using SkiaSharp;
using VisionLab.Data.NumPy;
using VisionLab.Models;
using VisionLab.Models.Weights;
using VisionLab.Runtime;
using VisionLab.Tests.Support;
using static TorchSharp.torch;

namespace VisionLab.Tests.Explain;

/// <summary>
/// <c>visionlab explain</c> as a user runs it: on a checkpoint (its classes and eval transform), on
/// bare torchvision-style weights (ImageNet's transform), with several methods or classes, and with
/// one clear line and a non-zero exit for every kind of bad input.
/// </summary>
public sealed class ExplainCliTests : IClassFixture<TinyLeNetRun>
{
    private readonly TinyLeNetRun run;
    private readonly string trouser;

    public ExplainCliTests(TinyLeNetRun run)
    {
        this.run = run;
        trouser = run.Folder.File("trouser.png");
        if (!File.Exists(trouser)) ExplainImages.WriteFashionMnistPng(trouser, 2);
    }

    [Fact]
    public void Gradcam_on_a_checkpoint_writes_an_overlay_and_the_raw_map_at_the_layers_resolution()
    {
        string output = Path.Combine(run.Folder.Path, "gradcam");

        var result = CliRunner.Run("explain", "--checkpoint", run.Checkpoint, trouser, "--method", "gradcam", "--out", output, "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var png = SKBitmap.Decode(Path.Combine(output, "trouser.gradcam.png"));
        Assert.NotNull(png);
        Assert.Equal(224, png.Width);
        using var map = NpyFile.Read(Path.Combine(output, "trouser.gradcam.npy"));
        Assert.Equal(LeNetFeatureGrid(), map.shape);

        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal("features", json.RootElement.GetProperty("layer").GetString());
        var image = Assert.Single(json.RootElement.GetProperty("images").EnumerateArray().ToList());
        var explanation = Assert.Single(image.GetProperty("explanations").EnumerateArray().ToList());
        Assert.Equal("gradcam", explanation.GetProperty("method").GetString());
        Assert.Equal(image.GetProperty("predicted").GetProperty("class").GetString(), explanation.GetProperty("class").GetString());
        Assert.Contains(explanation.GetProperty("class").GetString(), VisionLab.Data.ImageClassificationData.FashionMnistClasses);
        Assert.InRange(explanation.GetProperty("probability").GetDouble(), 0.0, 1.0);
        Assert.Equal(LeNetFeatureGrid(), explanation.GetProperty("map_shape").EnumerateArray().Select(d => d.GetInt64()));
        Assert.False(image.TryGetProperty("compare", out _));
    }

    [Fact]
    public void Several_methods_write_one_file_pair_each_and_a_comparison()
    {
        string output = Path.Combine(run.Folder.Path, "compare");

        var result = CliRunner.Run("explain", "--checkpoint", run.Checkpoint, trouser, "--methods", "gradcam,layercam", "--out", output);

        Assert.True(result.ExitCode == 0, result.Stderr);
        foreach (string method in new[] { "gradcam", "layercam" })
        {
            Assert.True(File.Exists(Path.Combine(output, $"trouser.{method}.png")), method);
            Assert.True(File.Exists(Path.Combine(output, $"trouser.{method}.npy")), method);
        }
        using var compare = SKBitmap.Decode(Path.Combine(output, "trouser.compare.png"));
        Assert.NotNull(compare);
        Assert.InRange(compare.Width, 3 * 224, 4 * 224);
        // The table for people has a row per method (its columns wrap to the terminal's width).
        Assert.Contains("gradcam", result.Stdout);
        Assert.Contains("layercam", result.Stdout);
    }

    [Fact]
    public void Top_k_writes_one_file_pair_per_class_most_probable_first()
    {
        string output = Path.Combine(run.Folder.Path, "top3");

        var result = CliRunner.Run("explain", "--checkpoint", run.Checkpoint, trouser, "--top-k", "3", "--out", output, "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var explanations = json.RootElement.GetProperty("images")[0].GetProperty("explanations").EnumerateArray().ToList();
        Assert.Equal(3, explanations.Count);
        var probabilities = explanations.Select(e => e.GetProperty("probability").GetDouble()).ToList();
        Assert.Equal(probabilities.OrderDescending(), probabilities);
        foreach (var e in explanations)
        {
            int index = e.GetProperty("class_index").GetInt32();
            Assert.Equal(Path.Combine(output, $"trouser.gradcam.class{index}.png"), e.GetProperty("png").GetString());
            Assert.True(File.Exists(e.GetProperty("npy").GetString()));
        }
    }

    [Fact]
    public void Bare_weights_get_imagenets_transform_and_numbered_classes()
    {
        string weights = run.Folder.File("resnet18.pt");
        TorchRuntime.Seed(5);
        using (var model = ModelZoo.Create("resnet18", new ModelOptions(10))) WeightsFile.Write(model, weights);
        string photo = run.Folder.File("photo.png");
        ExplainImages.WriteRgbPng(photo, 300, 200);
        string output = Path.Combine(run.Folder.Path, "weights");

        var result = CliRunner.Run("explain", "--model", "resnet18", "--num-classes", "10", "--weights", weights, photo,
            "--method", "gradcam", "--out", output, "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        // Shorter side to 256, centre 224×224: ResNet-18's layer4 is then 7×7.
        using var map = NpyFile.Read(Path.Combine(output, "photo.gradcam.npy"));
        Assert.Equal(new long[] { 7, 7 }, map.shape);
        using var png = SKBitmap.Decode(Path.Combine(output, "photo.gradcam.png"));
        Assert.Equal(224, png.Width);
        using var json = JsonDocument.Parse(result.Stdout);
        var explanation = json.RootElement.GetProperty("images")[0].GetProperty("explanations")[0];
        Assert.Equal($"class {explanation.GetProperty("class_index").GetInt32()}", explanation.GetProperty("class").GetString());
    }

    [Fact]
    public void Evaluate_scores_each_method_and_a_random_map_over_every_image()
    {
        string second = run.Folder.File("sneaker.png");
        ExplainImages.WriteFashionMnistPng(second, 0);
        string output = Path.Combine(run.Folder.Path, "evaluate");

        var result = CliRunner.Run("explain", "--checkpoint", run.Checkpoint, trouser, second, "--methods", "gradcam,eigencam",
            "--evaluate", "--evaluate-steps", "7", "--out", output, "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var summaries = json.RootElement.GetProperty("faithfulness").EnumerateArray().ToList();
        Assert.Equal(["gradcam", "eigencam", "random"], summaries.Select(m => m.GetProperty("method").GetString()));
        foreach (var m in summaries)
        {
            Assert.Equal(2, m.GetProperty("images").GetInt32());
            Assert.InRange(m.GetProperty("deletion_auc").GetDouble(), 0.0, 1.0);
            Assert.InRange(m.GetProperty("insertion_auc").GetDouble(), 0.0, 1.0);
            Assert.InRange(m.GetProperty("average_drop").GetDouble(), 0.0, 1.0);
            Assert.Equal(9, m.GetProperty("most_relevant_first_accuracy").GetArrayLength());
        }

        string file = json.RootElement.GetProperty("faithfulness_file").GetString()!;
        Assert.Equal(Path.Combine(output, "faithfulness.json"), file);
        using var saved = JsonDocument.Parse(File.ReadAllText(file));
        var perImage = saved.RootElement.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(6, perImage.Count);
        var deletion = perImage[0].GetProperty("scores").GetProperty("deletion");
        Assert.Equal(8, deletion.GetProperty("probabilities").GetArrayLength());
        Assert.Equal(7, saved.RootElement.GetProperty("options").GetProperty("steps").GetInt32());
        // The summaries are the means of the per-image figures.
        double gradcamMean = perImage.Where(i => i.GetProperty("scores").GetProperty("method").GetString() == "gradcam")
            .Average(i => i.GetProperty("scores").GetProperty("deletion_auc").GetDouble());
        Assert.Equal(gradcamMean, summaries[0].GetProperty("deletion_auc").GetDouble(), 9);
    }

    [Fact]
    public void An_unknown_layer_lists_the_valid_names()
    {
        var result = CliRunner.Run("explain", "--checkpoint", run.Checkpoint, trouser, "--layer", "conv9", "--out", run.Folder.File("bad"));
        AssertFailsWith(result, "no layer 'conv9'", "conv1, conv2");
    }

    [Fact]
    public void A_class_out_of_range_names_the_valid_range()
    {
        var result = CliRunner.Run("explain", "--checkpoint", run.Checkpoint, trouser, "--class", "10", "--out", run.Folder.File("bad"));
        AssertFailsWith(result, "class 10 is out of range", "0 to 9");
    }

    [Fact]
    public void An_unreadable_image_is_named()
    {
        string notes = run.Folder.File("notes.png");
        File.WriteAllText(notes, "not an image");
        var result = CliRunner.Run("explain", "--checkpoint", run.Checkpoint, trouser, notes, "--out", run.Folder.File("bad"));
        AssertFailsWith(result, notes, "not an image");
    }

    [Fact]
    public void A_missing_checkpoint_is_named()
    {
        string missing = run.Folder.File("missing.ckpt");
        var result = CliRunner.Run("explain", "--checkpoint", missing, trouser, "--out", run.Folder.File("bad"));
        AssertFailsWith(result, missing, "file not found");
    }

    [Fact]
    public void An_unknown_method_lists_the_methods()
    {
        var result = CliRunner.Run("explain", "--checkpoint", run.Checkpoint, trouser, "--method", "gradcan", "--out", run.Folder.File("bad"));
        AssertFailsWith(result, "unknown explanation method 'gradcan'", "gradcam++");
    }

    [Fact]
    public void Conflicting_options_are_refused_before_any_work()
    {
        var both = CliRunner.Run("explain", "--checkpoint", run.Checkpoint, trouser, "--class", "1", "--top-k", "2", "--out", run.Folder.File("bad"));
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("--class or --top-k", both.Stderr);
        var untrained = CliRunner.Run("explain", "--model", "resnet18", trouser, "--out", run.Folder.File("bad"));
        Assert.Equal(2, untrained.ExitCode);
        Assert.Contains("--model needs --weights", untrained.Stderr);
        Assert.False(Directory.Exists(run.Folder.File("bad")));
    }

    /// <summary>A user's mistake: exit code 1 and one line on stderr that says what is wrong, never a crash.</summary>
    private static void AssertFailsWith(CliResult result, params string[] parts)
    {
        Assert.True(result.ExitCode == 1, $"exit code {result.ExitCode}; stderr: {result.Stderr}");
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        foreach (string part in parts) Assert.Contains(part, line);
    }

    /// <summary>The height and width of LeNet-5's last maps for a 28×28 input, measured.</summary>
    private static long[] LeNetFeatureGrid()
    {
        using var model = ModelZoo.Create("lenet5", new ModelOptions(10, 1));
        using var _ = no_grad();
        using var image = zeros(1, 1, 28, 28);
        using var features = model.ForwardFeatures(image);
        return features.shape[2..];
    }
}
