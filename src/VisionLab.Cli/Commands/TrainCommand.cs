using System.ComponentModel;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Cli.Rendering;
using VisionLab.Runtime;
using VisionLab.Tracking.Store;
using VisionLab.Training;

namespace VisionLab.Cli.Commands;

/// <summary>
/// Options of verbs that run the training loop. Every option is an override of one config key:
/// the run's config is the YAML file of --config (or the defaults), then each option given, then each
/// --set, in that order; options not given leave the file's value alone.
/// </summary>
public abstract class FitSettings : ComputeSettings
{
    [CommandOption("--config <FILE>")]
    [Description("Experiment YAML file (configs/ has recipes); the options below and --set override its keys.")]
    public string? Config { get; init; }

    [CommandOption("--set <KEY=VALUE>")]
    [Description("Override any config key, e.g. --set optimizer.lr=0.01 --set schedule.milestones=[[10,20]] (repeatable).")]
    public string[] Set { get; init; } = [];

    [CommandOption("-e|--epochs <N>")]
    [Description("Epochs (default 5).")]
    public int? Epochs { get; init; }

    [CommandOption("-b|--batch-size <N>")]
    [Description("Batch size (default 64).")]
    public int? BatchSize { get; init; }

    [CommandOption("--lr <RATE>")]
    [Description("Learning rate, optimizer.lr (default: 0.05 for sgd, 0.01 for rmsprop, 0.001 for adam/adamw).")]
    public double? LearningRate { get; init; }

    [CommandOption("--optimizer <NAME>")]
    [Description("optimizer.name: sgd (momentum 0.9), adam, adamw or rmsprop (default sgd).")]
    public string? Optimizer { get; init; }

    [CommandOption("--momentum <M>")]
    [Description("optimizer.momentum for sgd and rmsprop (default 0.9 for sgd, 0 for rmsprop).")]
    public double? Momentum { get; init; }

    [CommandOption("--weight-decay <WD>")]
    [Description("optimizer.weight_decay (default 0).")]
    public double? WeightDecay { get; init; }

    [CommandOption("--schedule <NAME>")]
    [Description("schedule.name: constant, step, multistep, cosine, onecycle or plateau (default cosine).")]
    public string? Schedule { get; init; }

    [CommandOption("--label-smoothing <E>")]
    [Description("label_smoothing, 0 to 1 (default 0).")]
    public double? LabelSmoothing { get; init; }

    [CommandOption("--seed <N>")]
    [Description("Seed of initialisation, shuffling and augmentation (default 42).")]
    public int? Seed { get; init; }

    [CommandOption("-o|--out <DIR>")]
    [Description("Run folder (default: runs/<timestamp>-<model>).")]
    public string? Out { get; init; }

    [CommandOption("--augment <LIST>")]
    [Description("Training augmentation. IDX data: comma-separated crop[[:PADDING]] (random crop after zero padding, default 2), hflip and " +
                 "erasing[[:P]] (RandomErasing after normalisation, default 0.25). " +
                 "Image folders (always RandomResizedCrop + flip): trivial (TrivialAugmentWide), randaugment[[:OPS[[:MAGNITUDE]]]], erasing[[:P]], " +
                 "mixup[[:ALPHA]], cutmix[[:ALPHA]]. Or none (default).")]
    public string? Augment { get; init; }

    [CommandOption("--train-limit <N>")]
    [Description("Train on the first N images only (quick runs).")]
    public int? TrainLimit { get; init; }

    [CommandOption("--test-limit <N>")]
    [Description("Evaluate on the first N test images only.")]
    public int? TestLimit { get; init; }

    [CommandOption("--tensorboard [LOGDIR]")]
    [Description("Write TensorBoard event files: losses, accuracies, learning rate, speed and memory per epoch, the running train loss, " +
                 "weight histograms and sample predictions. Without LOGDIR into the run folder's tensorboard/ (tensorboard --logdir runs compares runs); " +
                 "with LOGDIR into LOGDIR/<run folder name>.")]
    public FlagValue<string>? TensorBoard { get; init; }

    /// <summary>The options this verb was given, as config keys and values; the verb adds its own.</summary>
    protected virtual IEnumerable<(string Key, JsonNode? Value)> Overrides()
    {
        yield return ("epochs", Epochs);
        yield return ("batch_size", BatchSize);
        yield return ("optimizer.name", Optimizer);
        yield return ("optimizer.lr", LearningRate);
        yield return ("optimizer.momentum", Momentum);
        yield return ("optimizer.weight_decay", WeightDecay);
        yield return ("schedule.name", Schedule);
        yield return ("label_smoothing", LabelSmoothing);
        yield return ("seed", Seed);
        yield return ("out", Out is null ? null : Path.GetFullPath(Out));
        yield return ("augment", Augment);
        yield return ("train_limit", TrainLimit);
        yield return ("test_limit", TestLimit);
        yield return ("threads", Threads);
        yield return ("device", Device == "cpu" ? null : Device);
        if (TensorBoard is { IsSet: true })
        {
            yield return ("tensorboard", true);
            if (!string.IsNullOrEmpty(TensorBoard.Value)) yield return ("tensorboard_dir", Path.GetFullPath(TensorBoard.Value));
        }
    }

    /// <summary>The run's config: the --config file, then the options given, then --set.</summary>
    public TrainingConfig ToConfig()
    {
        var tree = Config is null ? new JsonObject() : ExperimentConfig.ReadYamlFile(Config);
        foreach (var (key, value) in Overrides())
            if (value is not null) ExperimentConfig.Set(tree, key, value);
        foreach (string assignment in Set) ExperimentConfig.Set(tree, assignment);
        return ExperimentConfig.Bind(tree, Config ?? "the command line");
    }
}

public sealed class TrainSettings : FitSettings
{
    [CommandOption("--store <LOCATION>")]
    [Description("Experiment store that records the run as it goes ('visionlab runs' reads it): a SQLite file, or postgres://user:password@host:port/database (default: runs/visionlab.sqlite in the current folder).")]
    public string? Store { get; init; }

    [CommandOption("--no-store")]
    [Description("Record the run in its folder only, not in an experiment store.")]
    public bool NoStore { get; init; }

    [CommandOption("--resume <RUN>")]
    [Description("Continue the run in this folder from its last checkpoint, with its saved config (only --epochs may change): it ends with the weights an uninterrupted run would have.")]
    public string? Resume { get; init; }

    [CommandOption("-m|--model <NAME>")]
    [Description("Zoo model to train ('visionlab models' lists them; default lenet5).")]
    public string? Model { get; init; }

    [CommandOption("-d|--data <DATA>")]
    [Description("'fashion-mnist' (Debian package dataset-fashion-mnist; the default), a folder of IDX files, or an image folder with one sub-folder of images per class.")]
    public string? Data { get; init; }

    [CommandOption("--image-size <N>")]
    [Description("Train at N×N pixels: IDX data is resized (bilinear), e.g. 32 for VGG on 28×28 Fashion-MNIST (default: the data's size); image folders are random-resized-cropped to it (default 224).")]
    public int? ImageSize { get; init; }

    [CommandOption("--val <FOLDER>")]
    [Description("Image folders: validation images, one sub-folder per class (default: keep --val-fraction of --data aside, stratified, by --seed).")]
    public string? Val { get; init; }

    [CommandOption("--val-fraction <F>")]
    [Description("Image folders without --val: share of each class kept aside for validation (default 0.2).")]
    public double? ValFraction { get; init; }

    [CommandOption("--workers <N>")]
    [Description("Image folders: threads decoding and augmenting images (0: the training thread; default 2).")]
    public int? Workers { get; init; }

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
    [Description("Softmax temperature of the distillation targets (default 4).")]
    public double? DistillTemperature { get; init; }

    [CommandOption("--distill-weight <W>")]
    [Description("Share of the distillation term in the loss, 0–1; the rest is cross-entropy with the labels (default 0.9).")]
    public double? DistillWeight { get; init; }

    [CommandOption("--init <CHECKPOINT>")]
    [Description("Start from this checkpoint of the same model instead of fresh weights (fine-tuning).")]
    public string? Init { get; init; }

    [CommandOption("--prune <METHOD:AMOUNT>")]
    [Description("Prune before training: magnitude:0.5 zeroes half the weights, channels:0.3 removes 30% of each block's inner maps. 'visionlab prune' also measures before and after.")]
    public string? Prune { get; init; }

    [CommandOption("--pretrained <WEIGHTS>")]
    [Description("Transfer learning: start from these weights (PyTorch .pt/.pth, .safetensors or a checkpoint of the same model) with a new head for this data's classes; see transfer.freeze_epochs and transfer.backbone_lr_scale.")]
    public string? Pretrained { get; init; }

    public override ValidationResult Validate() =>
        Resume is not null && (Config ?? Model ?? Data ?? Out) is not null || Resume is not null && Set.Length > 0
            ? ValidationResult.Error("--resume continues a run with the config saved in its folder; only --epochs may be given with it")
            : ValidationResult.Success();

    protected override IEnumerable<(string Key, JsonNode? Value)> Overrides() => base.Overrides().Concat(
    [
        ("model", Model), ("data", Data), ("image_size", ImageSize), ("small_input", SmallInput ? true : null),
        ("teacher", Teacher is null ? null : Path.GetFullPath(Teacher)), ("distill_temperature", DistillTemperature), ("distill_weight", DistillWeight),
        ("init_from", Init is null ? null : Path.GetFullPath(Init)), ("prune", Prune), ("pretrained", Pretrained is null ? null : Path.GetFullPath(Pretrained)),
        ("val", Val is null ? null : Path.GetFullPath(Val)), ("val_fraction", ValFraction), ("workers", Workers),
        ("strict", Strict ? true : null), ("balanced", Balanced ? true : null),
    ]);
}

public sealed class TrainCommand : Command<TrainSettings>
{
    public override int Execute(CommandContext context, TrainSettings s, CancellationToken cancellation)
    {
        var config = s.Resume is null ? s.ToConfig().Validate() : null;
        using var store = s.NoStore ? null : ExperimentStore.Open(s.Store);
        TrainingOutcome Train(IEnumerable<ITrainerCallback> observers) => config is null
            ? TrainingJob.Resume(s.Resume!, observers, s.Epochs, cancellation, store)
            : TrainingJob.Run(config, observers, cancellation, store);
        if (s.Json)
        {
            var quiet = Train([]);
            JsonOutput.Write(new { run = quiet.Run.Root, metrics = quiet.Metrics,
                skipped = quiet.Skipped.Select(k => new { path = k.Source, problem = k.Problem }) });
            return 0;
        }

        AnsiConsole.MarkupLine(config is null
            ? $"Resuming [bold]{Markup.Escape(s.Resume!)}[/] from its last checkpoint"
            : $"Training [bold]{Markup.Escape(config.Model)}[/] on [bold]{Markup.Escape(config.Data)}[/] " +
              $"for {config.Epochs} epochs, batch {config.BatchSize}, {config.Optimizer.Name} at {config.Optimizer.LearningRate():G4}, {config.Threads} threads");
        var outcome = TrainingProgress.Show(Train);

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
