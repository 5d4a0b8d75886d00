using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Cli.Rendering;
using VisionLab.Runtime;
using VisionLab.Training;

namespace VisionLab.Cli.Commands;

public sealed class TrainSettings : ComputeSettings
{
    [CommandOption("-m|--model <NAME>")]
    [Description("Zoo model to train ('visionlab models' lists them).")]
    [DefaultValue("lenet5")]
    public string Model { get; init; } = "lenet5";

    [CommandOption("-d|--data <DATA>")]
    [Description("'fashion-mnist' (Debian package dataset-fashion-mnist) or a folder of IDX files.")]
    [DefaultValue("fashion-mnist")]
    public string Data { get; init; } = "fashion-mnist";

    [CommandOption("-e|--epochs <N>")]
    [DefaultValue(5)]
    public int Epochs { get; init; } = 5;

    [CommandOption("-b|--batch-size <N>")]
    [DefaultValue(64)]
    public int BatchSize { get; init; } = 64;

    [CommandOption("--lr <RATE>")]
    [Description("Learning rate (default: 0.05 for sgd, 0.001 for adam/adamw).")]
    public double? LearningRate { get; init; }

    [CommandOption("--optimizer <NAME>")]
    [Description("sgd (with momentum), adam or adamw.")]
    [DefaultValue("sgd")]
    public string Optimizer { get; init; } = "sgd";

    [CommandOption("--momentum <M>")]
    [DefaultValue(0.9)]
    public double Momentum { get; init; } = 0.9;

    [CommandOption("--weight-decay <WD>")]
    [DefaultValue(0.0)]
    public double WeightDecay { get; init; }

    [CommandOption("--schedule <NAME>")]
    [Description("Learning-rate schedule: cosine, step or constant.")]
    [DefaultValue("cosine")]
    public string Schedule { get; init; } = "cosine";

    [CommandOption("--seed <N>")]
    [DefaultValue(42)]
    public int Seed { get; init; } = 42;

    [CommandOption("-o|--out <DIR>")]
    [Description("Run folder (default: runs/<timestamp>-<model>).")]
    public string? Out { get; init; }

    [CommandOption("--image-size <N>")]
    [Description("Train at N×N pixels (bilinear resize), e.g. 32 for VGG on 28×28 Fashion-MNIST (default: the data's size).")]
    public int? ImageSize { get; init; }

    [CommandOption("--augment <LIST>")]
    [Description("Training augmentation: comma-separated crop[[:PADDING]] (random crop after zero padding, default 2) and hflip, or none.")]
    [DefaultValue("none")]
    public string Augment { get; init; } = "none";

    [CommandOption("--teacher <CHECKPOINT>")]
    [Description("Distil from this trained model: its softened outputs join the labels as targets.")]
    public string? Teacher { get; init; }

    [CommandOption("--distill-temperature <T>")]
    [Description("Softmax temperature of the distillation targets.")]
    [DefaultValue(4.0)]
    public double DistillTemperature { get; init; } = 4.0;

    [CommandOption("--distill-weight <W>")]
    [Description("Share of the distillation term in the loss, 0–1; the rest is cross-entropy with the labels.")]
    [DefaultValue(0.9)]
    public double DistillWeight { get; init; } = 0.9;

    [CommandOption("--train-limit <N>")]
    [Description("Train on the first N images only (quick runs).")]
    public int? TrainLimit { get; init; }

    [CommandOption("--test-limit <N>")]
    [Description("Evaluate on the first N test images only.")]
    public int? TestLimit { get; init; }
}

public sealed class TrainCommand : Command<TrainSettings>
{
    public override int Execute(CommandContext context, TrainSettings s, CancellationToken cancellation)
    {
        var config = new TrainingConfig
        {
            Model = s.Model, Data = s.Data, Epochs = s.Epochs, BatchSize = s.BatchSize, Optimizer = s.Optimizer,
            LearningRate = s.LearningRate, Momentum = s.Momentum, WeightDecay = s.WeightDecay, Schedule = s.Schedule,
            Seed = s.Seed, Threads = s.Threads ?? TorchRuntime.DefaultThreads, Device = s.Device, Out = s.Out,
            TrainLimit = s.TrainLimit, TestLimit = s.TestLimit, ImageSize = s.ImageSize, Augment = s.Augment,
            Teacher = s.Teacher, DistillTemperature = s.DistillTemperature, DistillWeight = s.DistillWeight,
        };
        if (s.Json)
        {
            var quiet = TrainingJob.Run(config, [], cancellation);
            JsonOutput.Write(new { run = quiet.Run.Root, metrics = quiet.Metrics });
            return 0;
        }

        AnsiConsole.MarkupLine($"Training [bold]{Markup.Escape(config.Model)}[/] on [bold]{Markup.Escape(config.Data)}[/] " +
                               $"for {config.Epochs} epochs, batch {config.BatchSize}, {config.Threads} threads");
        TrainingOutcome outcome;
        if (AnsiConsole.Profile.Capabilities.Interactive)
        {
            outcome = AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new ProgressBarColumn(), new PercentageColumn(), new TaskDescriptionColumn { Alignment = Justify.Left })
                .Start(live => TrainingJob.Run(config, [new TrainingProgress(live)], cancellation));
        }
        else
        {
            outcome = TrainingJob.Run(config, [new TrainingProgress(null)], cancellation);
        }

        var m = outcome.Metrics;
        AnsiConsole.Write(Tables.Epochs(m.History));
        AnsiConsole.Write(Tables.PerClass(m.PerClass));
        AnsiConsole.MarkupLine($"Test accuracy [green bold]{m.TestAccuracy:P2}[/] (best {m.BestTestAccuracy:P2} at epoch {m.BestEpoch}), " +
                               $"{m.TrainImagesPerSecond:N0} training images/s, {m.WallSeconds:F1} s in all");
        AnsiConsole.MarkupLine($"Run folder: [link]{Markup.Escape(outcome.Run.Root)}[/]");
        return 0;
    }
}
