using System.Runtime.InteropServices;
using TorchSharp;
using VisionLab.Compression;
using VisionLab.Data;
using VisionLab.Data.Loading;
using VisionLab.Data.Transforms;
using VisionLab.Models;
using VisionLab.Runs;
using VisionLab.Runtime;
using VisionLab.Training.Callbacks;
using VisionLab.Training.Metrics;
using VisionLab.Training.Objectives;
using VisionLab.Training.Optimizers;
using VisionLab.Training.Schedules;
using static TorchSharp.torch;

namespace VisionLab.Training;

/// <summary>Everything one training run is asked to do. Saved as the run's <c>config.json</c>.</summary>
public sealed record TrainingConfig
{
    public string Model { get; init; } = "lenet5";
    public string Data { get; init; } = "fashion-mnist";
    public int Epochs { get; init; } = 5;
    public int BatchSize { get; init; } = 64;
    public string Optimizer { get; init; } = "sgd";
    /// <summary>Null: the optimiser's default (SGD 0.05, Adam 0.001).</summary>
    public double? LearningRate { get; init; }
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; }
    public string Schedule { get; init; } = "cosine";
    public int Seed { get; init; } = 42;
    public int Threads { get; init; } = TorchRuntime.DefaultThreads;
    public string Device { get; init; } = "cpu";
    /// <summary>Run folder; null: runs/&lt;timestamp&gt;-&lt;model&gt;.</summary>
    public string? Out { get; init; }
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
    /// <summary>A checkpoint whose model teaches this one by knowledge distillation; null: none.</summary>
    public string? Teacher { get; init; }
    public double DistillTemperature { get; init; } = 4.0;
    /// <summary>Share of the soft-target term in the loss (the rest is cross-entropy with the labels).</summary>
    public double DistillWeight { get; init; } = 0.9;
    /// <summary>A checkpoint of this model to start from instead of fresh weights (fine-tuning); null: none.</summary>
    public string? InitFrom { get; init; }
    /// <summary>Prune the model before training, as <see cref="PruningSpec.Parse"/> reads it
    /// (usually with <see cref="InitFrom"/>: pruning, then fine-tuning); null: no pruning.</summary>
    public string? Prune { get; init; }
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
}

/// <param name="Skipped">Unreadable image files the run left out.</param>
public sealed record TrainingOutcome(RunFolder Run, RunMetrics Metrics, IReadOnlyList<SkippedSample> Skipped);

/// <summary>Turns a <see cref="TrainingConfig"/> into a finished run folder.</summary>
public static class TrainingJob
{
    public static TrainingOutcome Run(TrainingConfig config, IEnumerable<ITrainerCallback> observers,
        CancellationToken cancellation = default)
    {
        var optimizerKind = OptimizerFactory.Parse(config.Optimizer);
        var schedule = LearningRateSchedule.Parse(config.Schedule, config.Epochs);
        if (config.Epochs < 1) throw new VisionLabException($"--epochs {config.Epochs} must be at least 1");
        var pruning = config.Prune is null ? null : PruningSpec.Parse(config.Prune);
        var modelInfo = ModelZoo.Find(config.Model);
        if (config.SmallInput) ModelZoo.RequireSmallInputStem(modelInfo);
        TorchRuntime.SetThreads(config.Threads);
        var device = TorchRuntime.ParseDevice(config.Device);

        var data = TrainingData.Open(config, device);
        var transform = data.Transform;

        TorchRuntime.Seed(config.Seed);
        using var initial = config.InitFrom is null ? null : LoadCompatible(config.InitFrom, "starting point", config, transform, data.Classes.Count, device);
        using var model = initial?.Model ?? ModelZoo.Create(config.Model, new ModelOptions(data.Classes.Count, transform.Channels, SmallInput: config.SmallInput));
        using var masks = pruning?.ApplyTo(model, config.Model);
        var channelWidths = initial?.Info.ChannelWidths is not null || pruning?.Method == PruningMethod.Channels
            ? ChannelPruning.Widths(model)
            : null;
        model.to(device);
        CheckInputFits(model, config.Model, transform.Input, device);
        using var parameters = new FlatParameters(model.parameters());
        double learningRate = config.LearningRate ?? OptimizerFactory.DefaultLearningRate(optimizerKind);
        using var optimizer = OptimizerFactory.Create(optimizerKind, parameters, learningRate, config.Momentum, config.WeightDecay);

        using var teacher = config.Teacher is null ? null : LoadCompatible(config.Teacher, "teacher", null, transform, data.Classes.Count, device);
        using var teacherModel = teacher?.Model;
        var objective = teacher is null ? null : new Distillation(teacher.Model, config.DistillTemperature, config.DistillWeight);

        var run = RunFolder.Create(config.Out, config.Model, DateTime.Now);
        run.WriteJson(run.ConfigFile, config with { LearningRate = learningRate, Out = run.Root });
        var recorder = new RunRecorder(run, config.Model, data.Name, data.Classes);
        var saver = new CheckpointSaver(run, epoch => new CheckpointInfo
        {
            Model = config.Model,
            NumClasses = data.Classes.Count,
            InChannels = transform.Channels,
            SmallInput = config.SmallInput,
            Classes = data.Classes,
            EvalTransform = transform,
            Data = data.Name,
            Epoch = epoch.Epoch,
            TestAccuracy = epoch.TestAccuracy,
            Optimizer = config.Optimizer,
            Seed = config.Seed,
            Validation = data.Validation,
            ChannelWidths = channelWidths,
        });
        var trainer = new Trainer(model, optimizer, schedule, learningRate,
            [saver, recorder, .. masks is null ? Array.Empty<ITrainerCallback>() : [masks], .. observers], objective);
        trainer.Fit(data.Train, data.Test, config.Epochs, cancellation);
        return new TrainingOutcome(run, recorder.Latest!, data.Skipped);
    }

    /// <summary>A teacher or a starting point must see this run's inputs exactly: same size, channels
    /// and normalisation, and the same classes; a starting point must also be the same model
    /// (<paramref name="sameModelAs"/>), stem included.</summary>
    private static LoadedCheckpoint LoadCompatible(string path, string role, TrainingConfig? sameModelAs, EvalTransform run, int classes, Device device)
    {
        var loaded = Checkpoint.Load(path, device);
        var t = loaded.Info.EvalTransform;
        string? mismatch =
            sameModelAs is not null && loaded.Info.Model != sameModelAs.Model ? $"is a {loaded.Info.Model}, not a {sameModelAs.Model}" :
            sameModelAs is not null && loaded.Info.SmallInput != sameModelAs.SmallInput
                ? $"was built {(loaded.Info.SmallInput ? "with" : "without")} the small-input stem (--small-input)" :
            t.Input != run.Input ? $"takes {t.Input} inputs and this run {run.Input}" :
            !t.Mean.SequenceEqual(run.Mean) || !t.Std.SequenceEqual(run.Std) ? "normalises its inputs differently" :
            t.ResizeShorter != run.ResizeShorter ? "resizes and crops its inputs differently" :
            loaded.Info.NumClasses != classes ? $"has {loaded.Info.NumClasses} classes and the data {classes}" :
            null;
        if (mismatch is null) return loaded;
        loaded.Model.Dispose();
        loaded.Dispose();
        throw new VisionLabException($"{role} {path} ({loaded.Info.Model}) {mismatch}; use the same data, --model, --small-input and --image-size");
    }

    /// <summary>One forward pass on a single blank image, so a size the architecture cannot take
    /// fails here with a readable message rather than deep inside the first batch.</summary>
    public static void CheckInputFits(ImageClassifier model, string name, ImageShape input, Device device)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        bool wasTraining = model.training;
        model.eval();
        try
        {
            model.call(zeros(1, input.Channels, input.Height, input.Width, device: device));
        }
        catch (ExternalException e)
        {
            throw new VisionLabException(
                $"model {name} cannot take {input} images ({e.Message.Split('\n')[0].TrimEnd('.')}); train at a larger size with --image-size", e);
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
