using VisionLab.Runtime;
using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Cli.Rendering;
using VisionLab.Data;
using VisionLab.Training;

namespace VisionLab.Cli.Commands;

public sealed class EvaluateSettings : CheckpointSettings
{
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
}

public sealed class EvaluateCommand : Command<EvaluateSettings>
{
    public override int Execute(CommandContext context, EvaluateSettings s, CancellationToken cancellation)
    {
        using var checkpoint = s.LoadCheckpoint(out var device);
        using var routing = ConvolutionBackend.UseOneDnnForInference(checkpoint.Model);
        var info = checkpoint.Info;
        bool idx = ImageClassificationData.IsIdx(s.Data ?? info.Data);
        var data = TrainingData.ForCheckpoint(info, s.Data, s.BatchSize ?? (idx ? 1000 : 64), device, s.Workers, s.Strict);
        var result = Evaluator.Evaluate(checkpoint.Model, data.Batches, info.NumClasses, cancellation);
        var perClass = result.Confusion.PerClass(info.Classes);
        var skipped = data.Skipped;
        if (s.Json)
        {
            JsonOutput.Write(new
            {
                checkpoint = Path.GetFullPath(s.Checkpoint), model = info.Model, data = data.Name, images = result.Confusion.Total,
                test_accuracy = result.Accuracy, test_loss = result.Loss, per_class = perClass,
                confusion_matrix = result.Confusion.ToRows(),
                skipped = skipped.Select(k => new { path = k.Source, problem = k.Problem }),
            });
            return 0;
        }
        AnsiConsole.Write(Tables.PerClass(perClass));
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(info.Model)}[/] on {Markup.Escape(data.Name)} ({result.Confusion.Total:N0} images): " +
                               $"accuracy [green bold]{result.Accuracy:P2}[/], loss {result.Loss:F4}");
        foreach (var k in skipped)
            AnsiConsole.MarkupLine($"[yellow]skipped[/] {Markup.Escape(k.Source)}: {Markup.Escape(k.Problem)}");
        return 0;
    }
}
