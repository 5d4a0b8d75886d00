using System.Text.Json;
using SkiaSharp;
using VisionLab.Data.Transforms;
using VisionLab.Reporting;
using VisionLab.Tests.Support;
using VisionLab.Training;
using VisionLab.Training.Metrics;
using static TorchSharp.torch;

namespace VisionLab.Tests.Training.Evaluation;

/// <summary>The files an evaluation leaves in a folder (what the end of training calls), and the
/// evaluation figures metrics.json gains.</summary>
public class EvaluationReportTests
{
    private static readonly string[] Digits = [.. Enumerable.Range(0, 10).Select(d => $"digit {d}")];
    private static readonly EvalTransform Grey28 = new(1, 28, 28, [0.5f], [0.25f]);

    /// <summary>40 random 28×28 images whose first ten pixels are the logits.</summary>
    private static EvaluationResult Evaluate(int keepExamples)
    {
        manual_seed(4);
        var images = randn(40, 1, 28, 28);
        long[] labels = [.. Enumerable.Range(0, 40).Select(i => (long)(i % 10))];
        using var model = new FirstPixelsAreLogits(10);
        return Evaluator.Evaluate(model, new FixedBatches((images, labels)), 10, keepExamples);
    }

    [Fact]
    public void Write_leaves_the_summary_the_confusion_matrix_and_the_misclassified_grid()
    {
        using var folder = new TempFolder();
        var result = Evaluate(keepExamples: 9);

        var files = EvaluationReport.Write(folder.File("run"), result, Digits, Grey28, "toy", "noise");

        Assert.Equal(folder.File("run/evaluation.json"), files.Json);
        using var json = JsonDocument.Parse(File.ReadAllText(files.Json));
        var root = json.RootElement;
        Assert.Equal("toy", root.GetProperty("model").GetString());
        Assert.Equal(40, root.GetProperty("images").GetInt64());
        Assert.Equal(result.Accuracy, root.GetProperty("top1_accuracy").GetDouble());
        Assert.Equal(result.Top5Accuracy, root.GetProperty("top5_accuracy").GetDouble());
        Assert.Equal(10, root.GetProperty("per_class").GetArrayLength());
        Assert.Equal(result.Misclassified.Count, root.GetProperty("misclassified").GetArrayLength());
        var first = root.GetProperty("misclassified")[0];
        Assert.Equal(Digits[result.Misclassified[0].TrueClass], first.GetProperty("true_class").GetString());
        Assert.Equal(result.MisclassifiedExamples.Select(e => e.Mistake.Index),
            root.GetProperty("misclassified_shown").EnumerateArray().Select(i => i.GetInt32()));
        using var grid = SKBitmap.Decode(files.Misclassified);
        Assert.True(grid is { Width: > 3 * 168, Height: > 3 * 168 }, "a 3×3 grid of 168-pixel pictures");
        using var confusion = SKBitmap.Decode(files.ConfusionMatrix);
        Assert.NotNull(confusion);
        Assert.Empty(Directory.GetFiles(folder.File("run"), "*.tmp"));
    }

    [Fact]
    public void An_evaluation_without_kept_images_removes_an_earlier_grid()
    {
        using var folder = new TempFolder();
        EvaluationReport.Write(folder.Path, Evaluate(keepExamples: 4), Digits, Grey28, "toy", "noise");
        Assert.True(File.Exists(folder.File(EvaluationReport.MisclassifiedFile)));

        var files = EvaluationReport.Write(folder.Path, Evaluate(keepExamples: 0), Digits, Grey28, "toy", "noise");

        Assert.Null(files.Misclassified);
        Assert.False(File.Exists(folder.File(EvaluationReport.MisclassifiedFile)));
        Assert.True(File.Exists(files.Json));
    }

    [Fact]
    public void Metrics_json_gains_top5_macro_f1_and_the_most_confused_pairs()
    {
        var result = Evaluate(keepExamples: 0);
        var epoch = new EpochResult(1, 0.1, 1.0, 0.5, result.Loss, result.Accuracy, 2.0, 100, result.Seconds, 300, ElapsedSeconds: 3.0);

        var metrics = RunMetrics.From("toy", "noise", 0, [epoch], result, Digits);

        Assert.Equal(result.Top5Accuracy, metrics.Top5Accuracy);
        Assert.Equal(5, metrics.TopK);
        Assert.Equal(3.0, metrics.WallSeconds);
        Assert.Equal(ClassificationReport.From(result.Confusion, Digits).MacroAverage.F1, metrics.MacroF1);
        Assert.Equal(result.Confusion.MostConfused(Digits, RunMetrics.MostConfusedPairs), metrics.MostConfused);
        Assert.True(metrics.MostConfused!.Count is > 0 and <= RunMetrics.MostConfusedPairs);

        // An evaluation made without top-k (its record built directly) leaves top-5 out rather than claim 0.
        var bare = new EvaluationResult(result.Loss, result.Accuracy, result.Confusion, result.Seconds);
        Assert.Null(RunMetrics.From("toy", "noise", 0, [epoch], bare, Digits).Top5Accuracy);
    }
}
