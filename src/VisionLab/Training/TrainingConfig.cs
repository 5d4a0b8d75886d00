using VisionLab.Compression;
using VisionLab.Data.Transforms;
using VisionLab.Models;
using VisionLab.Runtime;
using VisionLab.Training.Optimizers;
using VisionLab.Training.Regularization;
using VisionLab.Training.Schedules;
using VisionLab.Training.Transfer;

namespace VisionLab.Training;

/// <summary>
/// Everything one training run is asked to do: an experiment's YAML file, key for key (snake_case:
/// <c>batch_size</c>, <c>optimizer.lr</c>, <c>schedule.warmup_epochs</c>; see <see cref="ExperimentConfig"/>).
/// The run folder keeps it resolved as <c>config.yaml</c>, so a run can be repeated or resumed from
/// its folder alone.
/// </summary>
public sealed record TrainingConfig
{
    public string Model { get; init; } = "lenet5";
    /// <summary>'fashion-mnist', a folder of IDX files, or an image folder with one sub-folder per class.</summary>
    public string Data { get; init; } = "fashion-mnist";
    public int Epochs { get; init; } = 5;
    public int BatchSize { get; init; } = 64;
    public OptimizerSettings Optimizer { get; init; } = new();
    public ScheduleSettings Schedule { get; init; } = new();
    public int Seed { get; init; } = 42;
    public int Threads { get; init; } = TorchRuntime.DefaultThreads;
    public string Device { get; init; } = "cpu";
    /// <summary>Run folder; null: runs/&lt;timestamp&gt;-&lt;model&gt;.</summary>
    public string? Out { get; init; }

    /// <summary>Cross-entropy with smoothed targets (Szegedy et al. 2016): the true class gets
    /// 1 − ε + ε/K, the others ε/K.</summary>
    public double LabelSmoothing { get; init; }
    /// <summary>Rescale the gradients when their global L2 norm exceeds this; null: never.</summary>
    public double? ClipGradNorm { get; init; }
    /// <summary>Batches whose gradients add up before each optimiser step: an effective batch of
    /// batch_size × accumulate_steps in the memory of one batch.</summary>
    public int AccumulateSteps { get; init; } = 1;
    /// <summary>Keep an exponential moving average of the weights, evaluated and saved as best; null: none.</summary>
    public EmaSettings? Ema { get; init; }
    /// <summary>Stop when <see cref="Monitor"/> has not improved for a number of epochs; null: run every epoch.</summary>
    public EarlyStoppingSettings? EarlyStopping { get; init; }
    /// <summary>What early stopping and the plateau schedule watch: <c>test_loss</c> (mode min) or
    /// <c>test_accuracy</c> (mode max). The best checkpoint is always the best test accuracy.</summary>
    public string Monitor { get; init; } = "test_loss";

    /// <summary>Weights to start from with a new head for this data's classes (transfer learning): a
    /// PyTorch state dict (.pt/.pth), .safetensors, or a VisionLab checkpoint of the same model; null: none.</summary>
    public string? Pretrained { get; init; }
    /// <summary>With <see cref="Pretrained"/>: freeze the backbone for the first epochs, then train it at a lower rate.</summary>
    public TransferSettings? Transfer { get; init; }
    /// <summary>A checkpoint of this model to start from instead of fresh weights (fine-tuning on the
    /// same classes); null: none.</summary>
    public string? InitFrom { get; init; }
    /// <summary>Prune the model before training, as <see cref="PruningSpec.Parse"/> reads it
    /// (usually with <see cref="InitFrom"/>: pruning, then fine-tuning); null: no pruning.</summary>
    public string? Prune { get; init; }
    /// <summary>A checkpoint whose model teaches this one by knowledge distillation; null: none.</summary>
    public string? Teacher { get; init; }
    public double DistillTemperature { get; init; } = 4.0;
    /// <summary>Share of the soft-target term in the loss (the rest is cross-entropy with the labels).</summary>
    public double DistillWeight { get; init; } = 0.9;

    /// <summary>Use only the first N training images (quick runs, tests).</summary>
    public int? TrainLimit { get; init; }
    /// <summary>Use only the first N test images.</summary>
    public int? TestLimit { get; init; }
    public int EvalBatchSize { get; init; } = 1000;
    /// <summary>Train and evaluate at this height and width (bilinear resize of each batch), for
    /// models that need larger inputs than the data's; null: the data's own size.</summary>
    public int? ImageSize { get; init; }
    /// <summary>Build the model with its small-input stem (<see cref="ModelOptions.SmallInput"/>).</summary>
    public bool SmallInput { get; init; }
    /// <summary>Training-image augmentation: for IDX data as <see cref="PixelAugmentations.Parse"/> reads
    /// it, for image folders as <see cref="Data.Transforms.Images.TrainingAugmentation.Parse"/> does.</summary>
    public string Augment { get; init; } = "none";
    /// <summary>Validation image folder (image-folder data only); null: keep <see cref="ValFraction"/>
    /// of the training folder aside, stratified by class and seeded.</summary>
    public string? Val { get; init; }
    public double ValFraction { get; init; } = 0.2;
    /// <summary>Seed of the share kept aside for validation; null: <see cref="Seed"/>. Fine-tuning
    /// a folder-trained checkpoint keeps its split this way, whatever its own seed.</summary>
    public int? SplitSeed { get; init; }
    /// <summary>Threads decoding and augmenting image files.</summary>
    public int Workers { get; init; } = 2;
    /// <summary>Stop at the first unreadable image file instead of skipping it.</summary>
    public bool Strict { get; init; }
    /// <summary>Draw every class equally often (image folders), for imbalanced data.</summary>
    public bool Balanced { get; init; }

    /// <summary>Write TensorBoard event files (scalars, weight histograms, sample predictions).</summary>
    public bool Tensorboard { get; init; }
    /// <summary>TensorBoard log folder: events go to &lt;it&gt;/&lt;run folder name&gt;; null: the run folder's tensorboard/.</summary>
    public string? TensorboardDir { get; init; }

    /// <summary>Whether <see cref="Monitor"/> should rise.</summary>
    public bool MonitorRises() => Monitor switch
    {
        "test_accuracy" => true,
        "test_loss" => false,
        _ => throw new VisionLabException($"monitor '{Monitor}' must be test_loss or test_accuracy"),
    };

    /// <summary>Refuses settings no run could use, naming the key, before any data is read.</summary>
    public TrainingConfig Validate()
    {
        if (Epochs < 1) throw new VisionLabException($"epochs {Epochs} must be at least 1");
        if (BatchSize < 1) throw new VisionLabException($"batch_size {BatchSize} must be at least 1");
        if (EvalBatchSize < 1) throw new VisionLabException($"eval_batch_size {EvalBatchSize} must be at least 1");
        if (AccumulateSteps < 1) throw new VisionLabException($"accumulate_steps {AccumulateSteps} must be at least 1");
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1)) throw new VisionLabException($"label_smoothing {LabelSmoothing} must be in [0, 1)");
        if (ClipGradNorm is { } clip && !(clip > 0 && double.IsFinite(clip)))
            throw new VisionLabException($"clip_grad_norm {clip} must be a positive number");
        Optimizer.Validate();
        Schedule.Validate(Epochs);
        Ema?.Validate();
        string mode = MonitorRises() ? "max" : "min";
        if (Schedule.Name.Equals("plateau", StringComparison.OrdinalIgnoreCase) && Schedule.Mode != mode)
            throw new VisionLabException($"schedule.mode {Schedule.Mode} does not fit monitor {Monitor}; set schedule.mode: {mode}");
        if (EarlyStopping is { } stopping)
        {
            stopping.Validate();
            if (stopping.Mode != mode)
                throw new VisionLabException($"early_stopping.mode {stopping.Mode} does not fit monitor {Monitor}; set early_stopping.mode: {mode}");
        }
        Transfer?.Validate(Epochs);
        if (Transfer is not null && Pretrained is null)
            throw new VisionLabException("transfer (freezing the backbone) needs pretrained weights: set pretrained");
        if (Pretrained is not null && InitFrom is not null)
            throw new VisionLabException("give pretrained (a new head) or init_from (the same classes), not both");
        return this;
    }
}
