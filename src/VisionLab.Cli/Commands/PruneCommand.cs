using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Cli.Rendering;
using VisionLab.Compression;

namespace VisionLab.Cli.Commands;

public sealed class PruneSettings : FitSettings
{
    [CommandOption("-c|--checkpoint <FILE>")]
    [Description("Trained checkpoint to prune (a run's checkpoints/best.ckpt).")]
    public string Checkpoint { get; init; } = "";

    [CommandOption("--method <METHOD>")]
    [Description("channels: remove the weakest feature maps inside each block (smaller and faster; ResNet, MobileNet V2, ShuffleNet V2); magnitude: zero the smallest weights network-wide (smaller when compressed).")]
    [DefaultValue("channels")]
    public string Method { get; init; } = "channels";

    [CommandOption("--amount <SHARE>")]
    [Description("Share of channels or weights to remove, between 0 and 1.")]
    [DefaultValue(0.5)]
    public double Amount { get; init; } = 0.5;

    [CommandOption("--seconds <S>")]
    [Description("Timed seconds per speed measurement, after as long again of warm-up.")]
    [DefaultValue(2.0)]
    public double Seconds { get; init; } = 2.0;

    public override ValidationResult Validate() =>
        string.IsNullOrEmpty(Checkpoint) ? ValidationResult.Error("--checkpoint is required")
        : Seconds <= 0 ? ValidationResult.Error($"--seconds {Seconds} must be positive")
        : ValidationResult.Success();
}

/// <summary>Prunes a checkpoint, fine-tunes it and shows size, speed and accuracy before and after.</summary>
public sealed class PruneCommand : Command<PruneSettings>
{
    public override int Execute(CommandContext context, PruneSettings s, CancellationToken cancellation)
    {
        var spec = PruningSpec.Parse($"{s.Method}:{s.Amount.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        // Fine-tuning starts from trained weights: a tenth of a fresh run's default rate.
        var config = s.ToConfig();
        if (config.Optimizer.Lr is null)
            config = config with { Optimizer = config.Optimizer with { Lr = 0.005 } };
        var period = TimeSpan.FromSeconds(s.Seconds);
        if (s.Json)
        {
            var quiet = PruningJob.Run(s.Checkpoint, spec, config, period, [], cancellation);
            JsonOutput.Write(new { run = quiet.FineTuning.Run.Root, pruning = spec.ToString(), stages = quiet.Stages });
            return 0;
        }

        AnsiConsole.MarkupLine($"Pruning [bold]{Markup.Escape(s.Checkpoint)}[/] ({Markup.Escape(spec.ToString())}), then fine-tuning for {config.Epochs} epochs");
        var outcome = TrainingProgress.Show(observers => PruningJob.Run(s.Checkpoint, spec, config, period, observers, cancellation));
        var table = new Table().Border(TableBorder.Rounded).Title($"{spec} on {Markup.Escape(Path.GetFileName(s.Checkpoint))}");
        foreach (var column in new[] { "stage", "parameters", "non-zero weights", "weights MB", "gzip MB", "test accuracy", "batch 1 ms", "batch 16 img/s" })
            table.AddColumn(column == "stage" ? new TableColumn(column) : new TableColumn(column).RightAligned());
        foreach (var f in outcome.Stages)
            table.AddRow(f.Stage, f.Parameters.ToString("N0"), $"{f.NonZeroWeights:N0} ({(double)f.NonZeroWeights / f.ConnectionWeights:P0})",
                f.WeightsMb.ToString("F2"), f.CompressedMb.ToString("F2"), f.TestAccuracy.ToString("P2"),
                f.MillisecondsBatch1.ToString("F2"), f.ImagesPerSecondBatch16.ToString("N0"));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Run folder: [link]{Markup.Escape(outcome.FineTuning.Run.Root)}[/] (pruning.json, checkpoints/last.ckpt)");
        return 0;
    }
}
