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
    [Description("Data set whose test split to use (default: the one the checkpoint was trained on).")]
    public string? Data { get; init; }

    [CommandOption("-b|--batch-size <N>")]
    [DefaultValue(1000)]
    public int BatchSize { get; init; } = 1000;
}

public sealed class EvaluateCommand : Command<EvaluateSettings>
{
    public override int Execute(CommandContext context, EvaluateSettings s, CancellationToken cancellation)
    {
        using var checkpoint = s.LoadCheckpoint(out var device);
        using var routing = ConvolutionBackend.UseOneDnnForInference(checkpoint.Model);
        var info = checkpoint.Info;
        var data = ImageClassificationData.Open(s.Data ?? info.Data);
        if (data.Test.ImageShape.Channels != info.EvalTransform.Channels)
            throw new VisionLabException($"{data.Name} holds {data.Test.ImageShape} images but the checkpoint's model takes {info.EvalTransform.Input}");
        if (data.Classes.Count != info.NumClasses)
            throw new VisionLabException($"{data.Name} has {data.Classes.Count} classes but the checkpoint's model has {info.NumClasses}");

        var loader = new DataLoader(data.Test, s.BatchSize, info.EvalTransform.Normalize(), device: device,
            outputSize: (info.EvalTransform.Height, info.EvalTransform.Width));
        var result = Evaluator.Evaluate(checkpoint.Model, loader, info.NumClasses, cancellation);
        var perClass = result.Confusion.PerClass(info.Classes);
        if (s.Json)
        {
            JsonOutput.Write(new
            {
                checkpoint = Path.GetFullPath(s.Checkpoint), model = info.Model, data = data.Name, images = result.Confusion.Total,
                test_accuracy = result.Accuracy, test_loss = result.Loss, per_class = perClass,
                confusion_matrix = result.Confusion.ToRows(),
            });
            return 0;
        }
        AnsiConsole.Write(Tables.PerClass(perClass));
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(info.Model)}[/] on {Markup.Escape(data.Name)} test ({result.Confusion.Total:N0} images): " +
                               $"accuracy [green bold]{result.Accuracy:P2}[/], loss {result.Loss:F4}");
        return 0;
    }
}
