using System.Text.Json;
using SkiaSharp;
using VisionLab.Cli.Commands;
using VisionLab.Data;
using VisionLab.Runtime;
using VisionLab.Tests.Support;
using VisionLab.Training;
using static TorchSharp.torch;

namespace VisionLab.Tests.Training.Evaluation;

/// <summary>
/// <c>visionlab evaluate</c> on a LeNet-5 trained for one short epoch: top-1 and top-5, the
/// classification report, the most confused pairs and the three files, written into the run folder
/// by default or into --out.
/// </summary>
public sealed class EvaluateCliTests : IClassFixture<TinyLeNetRun>
{
    private readonly TinyLeNetRun run;

    public EvaluateCliTests(TinyLeNetRun run) => this.run = run;

    [Fact]
    public void Json_reports_top1_top5_the_classification_report_and_pairs_and_the_files_land_in_the_run_folder()
    {
        var result = CliRunner.Run("evaluate", "--checkpoint", run.Checkpoint, "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        double top1 = root.GetProperty("top1_accuracy").GetDouble(), top5 = root.GetProperty("top5_accuracy").GetDouble();
        Assert.Equal(root.GetProperty("test_accuracy").GetDouble(), top1);
        Assert.True(top1 <= top5 && top5 <= 1, $"top-1 {top1}, top-5 {top5}");
        Assert.Equal(5, root.GetProperty("top_k").GetInt32());
        Assert.Equal(TopOneTheOldWay(run.Checkpoint), top1);

        var perClass = root.GetProperty("per_class").EnumerateArray().ToArray();
        Assert.Equal(ImageClassificationData.FashionMnistClasses, perClass.Select(c => c.GetProperty("class").GetString()));
        Assert.Equal(10_000, perClass.Sum(c => c.GetProperty("support").GetInt64()));
        double macroF1 = perClass.Average(c => c.GetProperty("f1").GetDouble());
        Assert.Equal(macroF1, root.GetProperty("macro_average").GetProperty("f1").GetDouble(), 12);
        Assert.InRange(root.GetProperty("weighted_average").GetProperty("recall").GetDouble(), top1 - 1e-12, top1 + 1e-12);

        var support = perClass.ToDictionary(c => c.GetProperty("class").GetString()!, c => c.GetProperty("support").GetInt64());
        var pairs = root.GetProperty("most_confused").EnumerateArray().ToArray();
        Assert.Equal(10, pairs.Length);
        var counts = pairs.Select(p => p.GetProperty("count").GetInt64()).ToArray();
        Assert.Equal(counts.OrderDescending(), counts);
        foreach (var p in pairs)
        {
            string truth = p.GetProperty("true_class").GetString()!;
            Assert.NotEqual(truth, p.GetProperty("predicted_class").GetString());
            Assert.Equal((double)p.GetProperty("count").GetInt64() / support[truth], p.GetProperty("share_of_true_class").GetDouble(), 12);
        }

        long images = root.GetProperty("images").GetInt64();
        var misclassified = root.GetProperty("misclassified").EnumerateArray().ToArray();
        Assert.Equal(images - (long)Math.Round(top1 * images), misclassified.Length);
        Assert.Equal(36, root.GetProperty("misclassified_shown").GetArrayLength());

        var files = root.GetProperty("files");
        Assert.Equal(Path.Combine(run.Root, "evaluation.json"), files.GetProperty("evaluation").GetString());
        using var written = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.Root, "evaluation.json")));
        Assert.Equal(top1, written.RootElement.GetProperty("top1_accuracy").GetDouble());
        Assert.Equal(misclassified.Length, written.RootElement.GetProperty("misclassified").GetArrayLength());
        foreach (string png in new[] { "confusion_matrix.png", "misclassified.png" })
        {
            using var bitmap = SKBitmap.Decode(Path.Combine(run.Root, png));
            Assert.True(bitmap is { Width: > 400, Height: > 400 }, $"{png} is not a readable image");
        }
        Assert.Empty(Directory.GetFiles(run.Root, "*.tmp"));
    }

    [Fact]
    public void Misclassified_sets_how_many_of_the_surest_mistakes_the_grid_shows()
    {
        string output = Path.Combine(run.Folder.Path, "four");

        var result = CliRunner.Run("evaluate", "--checkpoint", run.Checkpoint, "--misclassified", "4", "--out", output, "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var surest = json.RootElement.GetProperty("misclassified").EnumerateArray()
            .Select(m => (Index: m.GetProperty("index").GetInt32(), P: m.GetProperty("predicted_probability").GetDouble()))
            .OrderByDescending(m => m.P).ThenBy(m => m.Index).Take(4).Select(m => m.Index);
        Assert.Equal(surest, json.RootElement.GetProperty("misclassified_shown").EnumerateArray().Select(i => i.GetInt32()));
        using var grid = SKBitmap.Decode(Path.Combine(output, "misclassified.png"));
        Assert.NotNull(grid);
        // Two columns of 28×28 images shown at 168 pixels, each under a caption at least as wide.
        Assert.InRange(grid.Width, 2 * 168, 2 * 420);
        Assert.True(File.Exists(Path.Combine(output, "evaluation.json")));
        Assert.True(File.Exists(Path.Combine(output, "confusion_matrix.png")));
    }

    [Fact]
    public void No_misclassified_images_asked_for_writes_no_grid()
    {
        string output = Path.Combine(run.Folder.Path, "none");

        var result = CliRunner.Run("evaluate", "--checkpoint", run.Checkpoint, "--misclassified", "0", "--out", output, "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.False(json.RootElement.GetProperty("files").TryGetProperty("misclassified", out _));
        Assert.Equal(0, json.RootElement.GetProperty("misclassified_shown").GetArrayLength());
        Assert.False(File.Exists(Path.Combine(output, "misclassified.png")));
        Assert.True(json.RootElement.GetProperty("misclassified").GetArrayLength() > 0);
    }

    [Fact]
    public void People_get_the_report_with_averages_and_the_most_confused_pairs()
    {
        string output = Path.Combine(run.Folder.Path, "table");

        var result = CliRunner.Run("evaluate", "--checkpoint", run.Checkpoint, "--out", output);

        Assert.True(result.ExitCode == 0, result.Stderr);
        foreach (string expected in new[] { "Ankle boot", "macro avg", "weighted avg", "Most confused", "top-5", "misclassified.png" })
            Assert.Contains(expected, result.Stdout);
    }

    [Fact]
    public void Tta_hflip_scores_each_image_with_its_mirror_and_says_so()
    {
        string output = Path.Combine(run.Folder.Path, "mirrored");

        var result = CliRunner.Run("evaluate", "--checkpoint", run.Checkpoint, "--tta", "hflip", "--out", output, "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal("hflip", json.RootElement.GetProperty("test_time_augmentation").GetString());
        double top1 = json.RootElement.GetProperty("top1_accuracy").GetDouble();
        Assert.InRange(top1, 0.3, 1);
        using var written = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "evaluation.json")));
        Assert.Equal("hflip", written.RootElement.GetProperty("test_time_augmentation").GetString());
        Assert.Equal(top1, written.RootElement.GetProperty("top1_accuracy").GetDouble());
    }

    [Fact]
    public void An_unknown_tta_is_refused_before_anything_is_written()
    {
        string output = Path.Combine(run.Folder.Path, "rotated");

        var result = CliRunner.Run("evaluate", "--checkpoint", run.Checkpoint, "--tta", "rotate", "--out", output);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--tta rotate: expected none or hflip", result.Stderr);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void A_missing_checkpoint_is_named()
    {
        var result = CliRunner.Run("evaluate", "--checkpoint", "/nonexistent/model.ckpt", "--out", Path.Combine(run.Folder.Path, "never"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("/nonexistent/model.ckpt", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.False(Directory.Exists(Path.Combine(run.Folder.Path, "never")));
    }

    [Fact]
    public void A_negative_misclassified_count_is_refused_before_anything_is_written()
    {
        string output = Path.Combine(run.Folder.Path, "negative");

        var result = CliRunner.Run("evaluate", "--checkpoint", run.Checkpoint, "--misclassified", "-3", "--out", output);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--misclassified -3 must be 0 or more", result.Stderr);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void The_default_folder_is_the_run_folder_of_a_checkpoint_in_one_else_the_current_folder()
    {
        Assert.Equal(run.Root, EvaluateCommand.DefaultOutFolder(run.Checkpoint));
        Assert.Equal(Directory.GetCurrentDirectory(), EvaluateCommand.DefaultOutFolder(Path.Combine(run.Folder.Path, "loose.ckpt")));
    }

    /// <summary>What evaluate reported before top-5 and the report: the share of test images whose
    /// argmax is the label, counted here independently of <see cref="Evaluator"/> on the same
    /// convolution kernels as the command (oneDNN for inference), so that no near-tie can flip.</summary>
    private static double TopOneTheOldWay(string checkpointPath)
    {
        using var checkpoint = VisionLab.Training.Checkpoint.Load(checkpointPath);
        var model = checkpoint.Model;
        model.eval();
        var data = TrainingData.ForCheckpoint(checkpoint.Info, null, 1000, CPU);
        long right = 0, seen = 0;
        try
        {
            using var routing = ConvolutionBackend.UseOneDnnForInference(model);
            using var _ = no_grad();
            foreach (var batch in data.Batches.Epoch(0))
            {
                using var b = batch;
                using var scope = NewDisposeScope();
                right += model.call(b.Images).argmax(1).eq(b.Labels).sum().item<long>();
                seen += b.Size;
            }
        }
        finally
        {
            ConvolutionBackend.RequireExactGradients();
        }
        return (double)right / seen;
    }
}
