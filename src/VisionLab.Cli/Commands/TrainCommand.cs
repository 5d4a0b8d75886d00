using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Cli.Rendering;
using VisionLab.Runtime;
using VisionLab.Training;

namespace VisionLab.Cli.Commands;

/// <summary>Options of verbs that run the training loop: how to optimise, for how long, where to write.</summary>
public abstract class FitSettings : ComputeSettings
{
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

    [CommandOption("--augment <LIST>")]
    [Description("Training augmentation. IDX data: comma-separated crop[[:PADDING]] (random crop after zero padding, default 2) and hflip. " +
                 "Image folders (always RandomResizedCrop + flip): trivial (TrivialAugmentWide), randaugment[[:OPS[[:MAGNITUDE]]]], erasing[[:P]], " +
                 "mixup[[:ALPHA]], cutmix[[:ALPHA]]. Or none.")]
    [DefaultValue("none")]
    public string Augment { get; init; } = "none";

    [CommandOption("--train-limit <N>")]
    [Description("Train on the first N images only (quick runs).")]
    public int? TrainLimit { get; init; }

    [CommandOption("--test-limit <N>")]
    [Description("Evaluate on the first N test images only.")]
    public int? TestLimit { get; init; }

    /// <summary>The run's settings from these options; the verb adds what to train.</summary>
    public TrainingConfig ToConfig() => new()
    {
        Epochs = Epochs, BatchSize = BatchSize, Optimizer = Optimizer, LearningRate = LearningRate, Momentum = Momentum,
        WeightDecay = WeightDecay, Schedule = Schedule, Seed = Seed, Threads = Threads ?? TorchRuntime.DefaultThreads,
        Device = Device, Out = Out, TrainLimit = TrainLimit, TestLimit = TestLimit, Augment = Augment,
    };
}

public sealed class TrainSettings : FitSettings
{
    [CommandOption("-m|--model <NAME>")]
    [Description("Zoo model to train ('visionlab models' lists them).")]
    [DefaultValue("lenet5")]
    public string Model { get; init; } = "lenet5";

    [CommandOption("-d|--data <DATA>")]
    [Description("'fashion-mnist' (Debian package dataset-fashion-mnist), a folder of IDX files, or an image folder with one sub-folder of images per class.")]
    [DefaultValue("fashion-mnist")]
    public string Data { get; init; } = "fashion-mnist";

    [CommandOption("--image-size <N>")]
    [Description("Train at N×N pixels: IDX data is resized (bilinear), e.g. 32 for VGG on 28×28 Fashion-MNIST (default: the data's size); image folders are random-resized-cropped to it (default 224).")]
    public int? ImageSize { get; init; }

    [CommandOption("--val <FOLDER>")]
    [Description("Image folders: validation images, one sub-folder per class (default: keep --val-fraction of --data aside, stratified, by --seed).")]
    public string? Val { get; init; }

    [CommandOption("--val-fraction <F>")]
    [Description("Image folders without --val: share of each class kept aside for validation.")]
    [DefaultValue(0.2)]
    public double ValFraction { get; init; } = 0.2;

    [CommandOption("--workers <N>")]
    [Description("Image folders: threads decoding and augmenting images (0: the training thread).")]
    [DefaultValue(2)]
    public int Workers { get; init; } = 2;

    [CommandOption("--strict")]
    [Description("Image folders: stop at the first unreadable file instead of skipping it.")]
    public bool Strict { get; init; }

    [CommandOption("--balanced")]
    [Description("Image folders: draw every class equally often (for imbalanced data).")]
    public bool Balanced { get; init; }

    [CommandOption("--small-input")]
    [Description("Adapt the model's stem to small images (28–64 px): it downsamples by 2, not 4 (ResNet, ShuffleNet V2: no stem max pool; MobileNet V2/V3: stride-1 first convolution). Same parameters.")]
    public bool SmallInput { get; init; }

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

    [CommandOption("--init <CHECKPOINT>")]
    [Description("Start from this checkpoint of the same model instead of fresh weights (fine-tuning).")]
    public string? Init { get; init; }

    [CommandOption("--prune <METHOD:AMOUNT>")]
    [Description("Prune before training: magnitude:0.5 zeroes half the weights, channels:0.3 removes 30% of each block's inner maps. 'visionlab prune' also measures before and after.")]
    public string? Prune { get; init; }
}

public sealed class TrainCommand : Command<TrainSettings>
{
    public override int Execute(CommandContext context, TrainSettings s, CancellationToken cancellation)
    {
        var config = s.ToConfig() with
        {
            Model = s.Model, Data = s.Data, ImageSize = s.ImageSize, SmallInput = s.SmallInput, Teacher = s.Teacher,
            DistillTemperature = s.DistillTemperature, DistillWeight = s.DistillWeight, InitFrom = s.Init, Prune = s.Prune,
            Val = s.Val, ValFraction = s.ValFraction, Workers = s.Workers, Strict = s.Strict, Balanced = s.Balanced,
        };
        if (s.Json)
        {
            var quiet = TrainingJob.Run(config, [], cancellation);
            JsonOutput.Write(new { run = quiet.Run.Root, metrics = quiet.Metrics,
                skipped = quiet.Skipped.Select(k => new { path = k.Source, problem = k.Problem }) });
            return 0;
        }

        AnsiConsole.MarkupLine($"Training [bold]{Markup.Escape(config.Model)}[/] on [bold]{Markup.Escape(config.Data)}[/] " +
                               $"for {config.Epochs} epochs, batch {config.BatchSize}, {config.Threads} threads");
        var outcome = TrainingProgress.Show(observers => TrainingJob.Run(config, observers, cancellation));

        var m = outcome.Metrics;
        AnsiConsole.Write(Tables.Epochs(m.History));
        AnsiConsole.Write(Tables.PerClass(m.PerClass));
        AnsiConsole.MarkupLine($"Test accuracy [green bold]{m.TestAccuracy:P2}[/] (best {m.BestTestAccuracy:P2} at epoch {m.BestEpoch}), " +
                               $"{m.TrainImagesPerSecond:N0} training images/s, {m.WallSeconds:F1} s in all");
        foreach (var skipped in outcome.Skipped)
            AnsiConsole.MarkupLine($"[yellow]skipped[/] {Markup.Escape(skipped.Source)}: {Markup.Escape(skipped.Problem)}");
        if (outcome.Skipped.Count > 0)
            AnsiConsole.MarkupLine($"[yellow]{outcome.Skipped.Count} unreadable images were left out[/] (--strict stops at the first).");
        AnsiConsole.MarkupLine($"Run folder: [link]{Markup.Escape(outcome.Run.Root)}[/]");
        return 0;
    }
}
