using VisionLab.Runtime;
using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Cli.Rendering;
using VisionLab.Inference;
using VisionLab.Training;

namespace VisionLab.Cli.Commands;

public sealed class PredictSettings : ScoringSettings
{
    [CommandArgument(0, "<IMAGES>")]
    [Description("Image files: PNG, JPEG, BMP, WebP or GIF.")]
    public string[] Images { get; init; } = [];

    [CommandOption("-k|--top <K>")]
    [Description("How many classes to show per image.")]
    [DefaultValue(3)]
    public int Top { get; init; } = 3;
}

public sealed class PredictCommand : Command<PredictSettings>
{
    public override int Execute(CommandContext context, PredictSettings s, CancellationToken cancellation)
    {
        using var checkpoint = s.LoadCheckpoint(out var device);
        using var routing = ConvolutionBackend.UseOneDnnForInference(checkpoint.Model);
        var predictor = new Predictor(checkpoint.Model, checkpoint.Info.EvalTransform, checkpoint.Info.Classes, device, s.Mirrored);
        var predictions = s.Images.Select(image => predictor.Predict(image, s.Top)).ToList();
        if (s.Json)
        {
            JsonOutput.Write(predictions);
            return 0;
        }
        var table = new Table().Border(TableBorder.Rounded);
        if (s.Mirrored) table.Caption("[grey]probabilities averaged over each image and its mirror[/]");
        table.AddColumn("image");
        for (int k = 1; k <= s.Top; k++) table.AddColumn($"top {k}");
        foreach (var p in predictions)
        {
            var cells = p.Top.Select((c, i) => (i == 0 ? "[bold]" : "") + $"{Markup.Escape(c.Class)} {c.Probability:P1}" + (i == 0 ? "[/]" : ""));
            table.AddRow([Markup.Escape(p.Image), .. cells]);
        }
        AnsiConsole.Write(table);
        return 0;
    }
}
