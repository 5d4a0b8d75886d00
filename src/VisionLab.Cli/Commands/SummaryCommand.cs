using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Cli.Rendering;
using VisionLab.Models;

namespace VisionLab.Cli.Commands;

public sealed class SummarySettings : CommonSettings
{
    [CommandArgument(0, "<MODEL>")]
    [Description("Zoo model ('visionlab models' lists them).")]
    public string Model { get; init; } = "";

    [CommandOption("--input <SHAPE>")]
    [Description("Input as NxCxHxW or CxHxW (default: the model's default input, batch 1). C sets the input channels.")]
    public string? Input { get; init; }

    [CommandOption("--num-classes <N>")]
    [Description("Width of the head (default: the model's reference head).")]
    public int? NumClasses { get; init; }
}

/// <summary>A layer table like torchinfo's: output shape, parameters and multiply-adds per layer.</summary>
public sealed class SummaryCommand : Command<SummarySettings>
{
    public override int Execute(CommandContext context, SummarySettings s, CancellationToken cancellation)
    {
        var info = ModelZoo.Find(s.Model);
        long[] shape = ParseShape(s.Input, info);
        using var model = ModelZoo.Create(info.Name, new ModelOptions(s.NumClasses ?? info.ReferenceClasses, (int)shape[1]));
        var summary = ModelSummary.Of(info.Name, model, shape);
        if (s.Json)
        {
            JsonOutput.Write(summary);
            return 0;
        }
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"[bold]{Markup.Escape(info.Name)}[/] on [[{string.Join(", ", shape)}]]");
        table.AddColumn("layer");
        table.AddColumn("type");
        table.AddColumn("output shape");
        table.AddColumn(new TableColumn("parameters").RightAligned());
        table.AddColumn(new TableColumn("MACs").RightAligned());
        foreach (var l in summary.Layers)
            table.AddRow(Markup.Escape(l.Name), l.Type, $"[[{string.Join(", ", l.OutputShape)}]]", $"{l.Parameters:N0}", $"{l.Macs:N0}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Parameters: [bold]{summary.Parameters:N0}[/] ({summary.TrainableParameters:N0} trainable), " +
                               $"{summary.Parameters * 4 / 1048576.0:F1} MB as float32");
        string macs = summary.Macs >= 1e9 ? $"{summary.Macs / 1e9:F3} G" : $"{summary.Macs / 1e6:F3} M";
        AnsiConsole.MarkupLine($"Multiply-adds: [bold]{macs}[/] for this input; " +
                               $"output [[{string.Join(", ", summary.OutputShape)}]]");
        return 0;
    }

    private static long[] ParseShape(string? text, ModelInfo info)
    {
        if (text is null)
            return [1, info.DefaultInput.Channels, info.DefaultInput.Height, info.DefaultInput.Width];
        var parts = text.Split('x');
        if (parts.Length is not (3 or 4) || !parts.All(p => long.TryParse(p, out long v) && v > 0))
            throw new VisionLabException($"--input '{text}' is not NxCxHxW or CxHxW with positive sizes, e.g. 1x3x224x224");
        var sizes = parts.Select(long.Parse).ToArray();
        return sizes.Length == 4 ? sizes : [1, .. sizes];
    }
}
