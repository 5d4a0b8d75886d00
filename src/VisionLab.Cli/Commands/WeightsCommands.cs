using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Cli.Rendering;
using VisionLab.Data.Transforms;
using VisionLab.Models;
using VisionLab.Models.Weights;
using VisionLab.Training;

namespace VisionLab.Cli.Commands;

public sealed class WeightsInspectSettings : CommonSettings
{
    [CommandArgument(0, "<FILE>")]
    [Description("PyTorch state dict (.pt/.pth/.bin) or .safetensors.")]
    public string File { get; init; } = "";

    [CommandOption("-m|--model <NAME>")]
    [Description("Also check that the file fits this zoo model (with --num-classes/--in-channels).")]
    public string? Model { get; init; }

    [CommandOption("--num-classes <N>")]
    public int? NumClasses { get; init; }

    [CommandOption("--in-channels <C>")]
    public int? InChannels { get; init; }
}

/// <summary>Lists a weights file's tensors, and optionally whether they fit a zoo model.</summary>
public sealed class WeightsInspectCommand : Command<WeightsInspectSettings>
{
    public override int Execute(CommandContext context, WeightsInspectSettings s, CancellationToken cancellation)
    {
        var weights = WeightsFile.Read(s.File);
        try
        {
            var rows = weights.OrderBy(w => w.Key, StringComparer.Ordinal)
                .Select(w => new { name = w.Key, dtype = w.Value.dtype.ToString(), shape = w.Value.shape, elements = w.Value.numel() })
                .ToList();
            string? fit = null;
            if (s.Model is not null)
            {
                var info = ModelZoo.Find(s.Model);
                using var model = ModelZoo.Create(info.Name, new ModelOptions(s.NumClasses ?? info.ReferenceClasses, s.InChannels ?? info.DefaultInput.Channels));
                try
                {
                    StateDict.LoadStrict(model, weights, s.File);
                    fit = $"fits {info.Name}";
                }
                catch (VisionLabException e)
                {
                    fit = e.Message;
                }
            }
            long total = rows.Sum(r => r.elements);
            if (s.Json)
            {
                JsonOutput.Write(new { file = s.File, tensors = rows.Count, elements = total, fit, entries = rows });
                return fit is null || fit.StartsWith("fits", StringComparison.Ordinal) ? 0 : 1;
            }
            var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{Markup.Escape(s.File)}[/]");
            table.AddColumn("name");
            table.AddColumn("dtype");
            table.AddColumn("shape");
            table.AddColumn(new TableColumn("elements").RightAligned());
            foreach (var r in rows) table.AddRow(Markup.Escape(r.name), r.dtype, $"[[{string.Join(", ", r.shape)}]]", $"{r.elements:N0}");
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"{rows.Count} tensors, {total:N0} elements");
            if (fit is not null) AnsiConsole.MarkupLine(fit.StartsWith("fits", StringComparison.Ordinal) ? $"[green]{Markup.Escape(fit)}[/]" : $"[red]{Markup.Escape(fit)}[/]");
            return fit is null || fit.StartsWith("fits", StringComparison.Ordinal) ? 0 : 1;
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }
}

public sealed class WeightsExportSettings : CheckpointSettings
{
    [CommandOption("-o|--out <FILE>")]
    [Description("Destination: .pt/.pth (torch.load reads it) or .safetensors.")]
    public string Out { get; init; } = "";

    public override ValidationResult Validate() =>
        Out == "" ? ValidationResult.Error("--out is required") : base.Validate();
}

/// <summary>Writes a checkpoint's model weights as a PyTorch state dict.</summary>
public sealed class WeightsExportCommand : Command<WeightsExportSettings>
{
    public override int Execute(CommandContext context, WeightsExportSettings s, CancellationToken cancellation)
    {
        using var checkpoint = s.LoadCheckpoint(out _);
        WeightsFile.Write(checkpoint.Model, s.Out);
        if (s.Json) JsonOutput.Write(new { checkpoint = s.Checkpoint, model = checkpoint.Info.Model, out_file = s.Out });
        else AnsiConsole.MarkupLine($"Wrote {Markup.Escape(checkpoint.Info.Model)} weights to {Markup.Escape(s.Out)}");
        return 0;
    }
}

public sealed class WeightsImportSettings : CommonSettings
{
    [CommandArgument(0, "<FILE>")]
    [Description("PyTorch state dict (.pt/.pth/.bin) or .safetensors.")]
    public string File { get; init; } = "";

    [CommandOption("-m|--model <NAME>")]
    public string Model { get; init; } = "";

    [CommandOption("--num-classes <N>")]
    [Description("Head width (default: the model's reference head).")]
    public int? NumClasses { get; init; }

    [CommandOption("--in-channels <C>")]
    public int? InChannels { get; init; }

    [CommandOption("--classes <FILE>")]
    [Description("Class names, one a line (default: the class numbers).")]
    public string? Classes { get; init; }

    [CommandOption("--input <CxHxW>")]
    [Description("Input size the model is used at (default: the model's default input).")]
    public string? Input { get; init; }

    [CommandOption("--mean <LIST>")]
    [Description("Per-channel normalisation mean (default: ImageNet's 0.485,0.456,0.406 for 3 channels, 0.5 otherwise).")]
    public string? Mean { get; init; }

    [CommandOption("--std <LIST>")]
    [Description("Per-channel normalisation std (default: ImageNet's 0.229,0.224,0.225 for 3 channels, 0.5 otherwise).")]
    public string? Std { get; init; }

    [CommandOption("-o|--out <FILE>")]
    [Description("The VisionLab checkpoint to write.")]
    public string Out { get; init; } = "";

    public override ValidationResult Validate() =>
        Model == "" ? ValidationResult.Error("--model is required")
        : Out == "" ? ValidationResult.Error("--out is required")
        : ValidationResult.Success();
}

/// <summary>Turns a PyTorch state dict into a VisionLab checkpoint that evaluate and predict can use.</summary>
public sealed class WeightsImportCommand : Command<WeightsImportSettings>
{
    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    public override int Execute(CommandContext context, WeightsImportSettings s, CancellationToken cancellation)
    {
        var info = ModelZoo.Find(s.Model);
        var input = s.Input is null ? info.DefaultInput : Data.ImageShape.Parse(s.Input);
        int channels = s.InChannels ?? input.Channels;
        input = input with { Channels = channels };
        int classes = s.NumClasses ?? info.ReferenceClasses;
        var names = s.Classes is null
            ? Enumerable.Range(0, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()
            : System.IO.File.ReadAllLines(s.Classes).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length != classes)
            throw new VisionLabException($"{s.Classes}: {names.Length} class names for a {classes}-class head");
        float[] mean = Floats(s.Mean, "--mean") ?? (channels == 3 ? ImageNetMean : Enumerable.Repeat(0.5f, channels).ToArray());
        float[] std = Floats(s.Std, "--std") ?? (channels == 3 ? ImageNetStd : Enumerable.Repeat(0.5f, channels).ToArray());
        if (mean.Length != channels || std.Length != channels)
            throw new VisionLabException($"--mean and --std need one value per input channel ({channels})");

        using var model = ModelZoo.Create(info.Name, new ModelOptions(classes, channels));
        WeightsFile.LoadInto(model, s.File);
        Checkpoint.Save(s.Out, new CheckpointInfo
        {
            Model = info.Name, NumClasses = classes, InChannels = channels, Classes = names,
            EvalTransform = new EvalTransform(channels, input.Height, input.Width, mean, std),
            Data = $"imported from {Path.GetFullPath(s.File)}", Epoch = 0,
        }, model);
        if (s.Json) JsonOutput.Write(new { weights = s.File, model = info.Name, checkpoint = s.Out });
        else AnsiConsole.MarkupLine($"Imported {Markup.Escape(s.File)} into {Markup.Escape(info.Name)}: {Markup.Escape(s.Out)}");
        return 0;
    }

    private static float[]? Floats(string? list, string option)
    {
        if (list is null) return null;
        try
        {
            return list.Split(',').Select(v => float.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }
        catch (FormatException)
        {
            throw new VisionLabException($"{option} '{list}' is not a comma-separated list of numbers");
        }
    }
}
