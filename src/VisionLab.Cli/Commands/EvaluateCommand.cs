using VisionLab.Runtime;
using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Cli.Rendering;
using VisionLab.Data;
using VisionLab.Inference;
using VisionLab.Reporting;
using VisionLab.Training;
using VisionLab.Training.Metrics;

namespace VisionLab.Cli.Commands;

public sealed class EvaluateSettings : ScoringSettings
{
    /// <summary>More images than this make a grid too large to look at.</summary>
    public const int MostMisclassifiedShown = 400;

    [CommandOption("-d|--data <DATA>")]
    [Description("IDX data set whose test split to use, or an image folder whose images to use (default: what the run validated on: " +
                 "the test split, or the folder's validation images).")]
    public string? Data { get; init; }

    [CommandOption("-b|--batch-size <N>")]
    [Description("Images per batch (default: 1000 for IDX data, 64 for image folders).")]
    public int? BatchSize { get; init; }

    [CommandOption("--workers <N>")]
    [Description("Threads decoding image files.")]
    [DefaultValue(2)]
    public int Workers { get; init; } = 2;

    [CommandOption("--strict")]
    [Description("Stop at the first unreadable image file instead of skipping it.")]
    public bool Strict { get; init; }

    [CommandOption("--misclassified <N>")]
    [Description("How many misclassified images misclassified.png shows: the ones the model was surest of (0: no grid).")]
    [DefaultValue(Evaluator.DefaultMisclassifiedExamples)]
    public int Misclassified { get; init; } = Evaluator.DefaultMisclassifiedExamples;

    [CommandOption("-o|--out <DIR>")]
    [Description("Folder for evaluation.json, confusion_matrix.png and misclassified.png (default: the checkpoint's run folder " +
                 "when it sits in one, as run/checkpoints/best.ckpt does; else the current folder).")]
    public string? Out { get; init; }

    public override ValidationResult Validate() =>
        base.Validate() is { Successful: false } checkpoint ? checkpoint
        : Misclassified < 0 ? ValidationResult.Error($"--misclassified {Misclassified} must be 0 or more")
        : Misclassified > MostMisclassifiedShown ? ValidationResult.Error($"--misclassified {Misclassified}: at most {MostMisclassifiedShown} images make a readable grid")
        : ValidationResult.Success();
}

/// <summary>
/// Measures a checkpoint on held-out images: top-1 and top-5 accuracy, per-class precision, recall
/// and F1 with their averages, the most confused classes; writes evaluation.json,
/// confusion_matrix.png and misclassified.png.
/// </summary>
public sealed class EvaluateCommand : Command<EvaluateSettings>
{
    public override int Execute(CommandContext context, EvaluateSettings s, CancellationToken cancellation)
    {
        using var checkpoint = s.LoadCheckpoint(out var device);
        string outFolder = Path.GetFullPath(s.Out ?? DefaultOutFolder(s.Checkpoint));
        if (File.Exists(outFolder)) throw new VisionLabException($"--out {outFolder} is a file, not a folder");
        using var routing = ConvolutionBackend.UseOneDnnForInference(checkpoint.Model);
        var info = checkpoint.Info;
        bool idx = ImageClassificationData.IsIdx(s.Data ?? info.Data);
        var data = TrainingData.ForCheckpoint(info, s.Data, s.BatchSize ?? (idx ? 1000 : 64), device, s.Workers, s.Strict);
        bool mirrored = s.Mirrored;
        var result = Evaluator.Evaluate(MirrorAveraged.Scoring(checkpoint.Model, mirrored), data.Batches, info.NumClasses, s.Misclassified, cancellation);
        var summary = EvaluationSummary.From(result, info.Classes, info.Model, data.Name) with { TestTimeAugmentation = mirrored ? s.Tta : null };
        var files = EvaluationReport.Write(outFolder, summary, result, info.EvalTransform,
            mirrored ? $"{info.Model} on {data.Name} (mirror-averaged)" : null);
        var skipped = data.Skipped;
        if (s.Json)
        {
            JsonOutput.Write(new
            {
                checkpoint = Path.GetFullPath(s.Checkpoint), model = info.Model, weight_average = checkpoint.WeightAverage,
                data = data.Name, images = result.Confusion.Total,
                test_accuracy = result.Accuracy, test_loss = result.Loss, test_time_augmentation = summary.TestTimeAugmentation,
                top1_accuracy = summary.Top1Accuracy, top5_accuracy = summary.Top5Accuracy, top_k = summary.TopK,
                per_class = summary.PerClass, macro_average = summary.MacroAverage, weighted_average = summary.WeightedAverage,
                most_confused = summary.MostConfused, confusion_matrix = summary.ConfusionMatrix,
                misclassified = summary.Misclassified, misclassified_shown = summary.MisclassifiedShown,
                files = new { evaluation = files.Json, confusion_matrix = files.ConfusionMatrix, misclassified = files.Misclassified },
                skipped = skipped.Select(k => new { path = k.Source, problem = k.Problem }),
            });
            return 0;
        }
        AnsiConsole.Write(Tables.Classification(ClassificationReport.From(result.Confusion, info.Classes)));
        if (summary.MostConfused.Count > 0) AnsiConsole.Write(Tables.MostConfused(summary.MostConfused));
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(info.Model)}[/]{(checkpoint.WeightAverage ? " (moving average of its weights)" : "")} on {Markup.Escape(data.Name)} ({result.Confusion.Total:N0} images): " +
                               $"accuracy [green bold]{result.Accuracy:P2}[/]{(mirrored ? " (mirror-averaged)" : "")}, top-{summary.TopK} {summary.Top5Accuracy:P2}, " +
                               $"loss {result.Loss:F4}, {summary.Misclassified.Count:N0} misclassified");
        foreach (string? file in new[] { files.Json, files.ConfusionMatrix, files.Misclassified })
            if (file is not null) AnsiConsole.MarkupLine($"wrote [link]{Markup.Escape(file)}[/]");
        foreach (var k in skipped)
            AnsiConsole.MarkupLine($"[yellow]skipped[/] {Markup.Escape(k.Source)}: {Markup.Escape(k.Problem)}");
        return 0;
    }

    /// <summary>The run folder of a checkpoint at <c>run/checkpoints/x.ckpt</c>, else the current folder.</summary>
    public static string DefaultOutFolder(string checkpoint)
    {
        var folder = Directory.GetParent(Path.GetFullPath(checkpoint));
        return folder is { Name: "checkpoints", Parent: { } run } ? run.FullName : Directory.GetCurrentDirectory();
    }
}
