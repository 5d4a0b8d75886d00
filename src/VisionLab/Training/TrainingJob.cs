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
using VisionLab.Training.Regularization;
using VisionLab.Training.Schedules;
using VisionLab.Training.Transfer;
using VisionLab.Tracking.Store;
using VisionLab.Tracking.TensorBoard;
using VisionLab.Models.Weights;
using static TorchSharp.torch;

namespace VisionLab.Training;

/// <param name="Skipped">Unreadable image files the run left out.</param>
/// <param name="RunId">The run's id in the experiment store, when one recorded it.</param>
public sealed record TrainingOutcome(RunFolder Run, RunMetrics Metrics, IReadOnlyList<SkippedSample> Skipped, string? RunId = null);

/// <summary>Turns a <see cref="TrainingConfig"/> into a finished run folder.</summary>
public static class TrainingJob
{
    /// <param name="store">Where the run is recorded as it goes (<c>visionlab runs</c>); null: only in its folder.</param>
    /// <param name="recorded">Called with the run's id in <paramref name="store"/> as soon as it has
    /// one, before training starts, so that whatever the run belongs to can point at it even if the
    /// process dies mid-run.</param>
    public static TrainingOutcome Run(TrainingConfig config, IEnumerable<ITrainerCallback> observers,
        CancellationToken cancellation = default, IExperimentStore? store = null, Action<string>? recorded = null) =>
        Execute(config, () => RunFolder.Create(config.Out, config.Model, DateTime.Now), resume: null, observers, store, recorded, cancellation);

    /// <summary>
    /// Continues the run in <paramref name="runFolder"/> from its last checkpoint with the config saved
    /// there: it ends with the weights the run would have had had it never stopped.
    /// <paramref name="epochs"/> extends (or shortens) it; schedules that depend on the length then
    /// follow the new one from here on.
    /// </summary>
    public static TrainingOutcome Resume(string runFolder, IEnumerable<ITrainerCallback> observers, int? epochs = null,
        CancellationToken cancellation = default, IExperimentStore? store = null)
    {
        var run = RunFolder.Open(runFolder);
        var config = ExperimentConfig.ReadJson(run.ConfigFile);
        if (epochs is int total) config = config with { Epochs = total };
        return Execute(config with { Out = run.Root }, () => run, resume: run, observers, store, recorded: null, cancellation);
    }

    /// <param name="openRun">Creates (or opens) the run folder, once everything has been checked, so
    /// a run refused for bad settings leaves no folder behind.</param>
    /// <param name="resume">The run to continue from its last checkpoint; null: a new run.</param>
    private static TrainingOutcome Execute(TrainingConfig config, Func<RunFolder> openRun, RunFolder? resume,
        IEnumerable<ITrainerCallback> observers, IExperimentStore? store, Action<string>? recorded, CancellationToken cancellation)
    {
        config.Validate();
        var pruning = config.Prune is null ? null : PruningSpec.Parse(config.Prune);
        // A resumed run's checkpoint is already pruned: channels are gone from its shapes, and
        // magnitude pruning's zeros are its smallest weights, so its masks come back the same.
        if (resume is not null && pruning?.Method == PruningMethod.Channels) pruning = null;
        var modelInfo = ModelZoo.Find(config.Model);
        if (config.SmallInput) ModelZoo.RequireSmallInputStem(modelInfo);
        TorchRuntime.SetThreads(config.Threads);
        var device = TorchRuntime.ParseDevice(config.Device);

        using var last = resume is null ? null : Checkpoint.Load(resume.LastCheckpoint, device, CheckpointWeights.Training);
        if (last is not null && last.Info.Epoch >= config.Epochs)
            throw new VisionLabException($"{resume!.Root} already completed {last.Info.Epoch} of {config.Epochs} epochs; give more --epochs to go on");

        var data = TrainingData.Open(config, device);
        var transform = data.Transform;

        TorchRuntime.Seed(config.Seed);
        using var initial = config.InitFrom is null || resume is not null ? null : LoadCompatible(config.InitFrom, "starting point", config, transform, data.Classes.Count, device);
        using var model = last?.Model ?? initial?.Model ?? ModelZoo.Create(config.Model, new ModelOptions(data.Classes.Count, transform.Channels, SmallInput: config.SmallInput));
        if (config.Pretrained is not null && resume is null) LoadPretrained(model, config.Pretrained);
        using var masks = pruning?.ApplyTo(model, config.Model);
        var channelWidths = (last ?? initial)?.Info.ChannelWidths is not null || pruning?.Method == PruningMethod.Channels
            ? ChannelPruning.Widths(model)
            : null;
        model.to(device);
        model.train();
        CheckInputFits(model, config.Model, transform.Input, device);

        using var parameters = new FlatParameters(model.named_parameters());
        using var optimizer = OptimizerFactory.Create(config.Optimizer, parameters);
        int stepsPerEpoch = (data.Train.BatchesPerEpoch + config.AccumulateSteps - 1) / config.AccumulateSteps;
        var schedule = ScheduleFactory.Create(config.Schedule, config.Optimizer.LearningRate(), config.Epochs, stepsPerEpoch);
        using var ema = config.Ema is null ? null : new ExponentialMovingAverage(parameters, config.Ema, model);
        var freezing = config.Transfer is null ? null : new BackboneFreezing(TransferLearning.HeadParameterNames(model), config.Transfer);
        var plan = new TrainingPlan(optimizer, schedule, config.LabelSmoothing, config.ClipGradNorm, config.AccumulateSteps, ema,
            config.EarlyStopping is null ? null : new EarlyStopping(config.EarlyStopping), freezing, config.MonitorRises());

        using var teacher = config.Teacher is null ? null : LoadCompatible(config.Teacher, "teacher", null, transform, data.Classes.Count, device);
        using var teacherModel = teacher?.Model;
        var objective = teacher is null ? null : new Distillation(teacher.Model, config.DistillTemperature, config.DistillWeight);

        var run = openRun();
        var resolved = config with { Out = run.Root, Optimizer = config.Optimizer with { Lr = config.Optimizer.LearningRate() } };
        var configJson = ExperimentConfig.ToJson(resolved);
        AtomicFile.WriteAllBytes(run.ConfigFile, configJson);
        AtomicFile.WriteAllBytes(run.ConfigYaml, System.Text.Encoding.UTF8.GetBytes(ExperimentConfig.ToYaml(resolved)));
        var recorder = new RunRecorder(run, config.Model, data.Name, data.Classes, transform);
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
            Optimizer = config.Optimizer.Name,
            Seed = config.Seed,
            Validation = data.Validation,
            ChannelWidths = channelWidths,
        });
        using var tensorboard = config.Tensorboard
            ? new TensorBoardLogger(
                config.TensorboardDir is null ? run.TensorBoardFolder : Path.Combine(config.TensorboardDir, Path.GetFileName(run.Root)),
                SampleImages.Take(data.Test, 16, transform, data.Classes))
            : null;
        string configText = System.Text.Encoding.UTF8.GetString(configJson);
        var tracker = store is null ? null
            : resume is not null ? RunTracker.Continue(store, run, config.Model, data.Name, configText)
            : RunTracker.Start(store, run, config.Model, data.Name, configText);
        if (tracker is not null) recorded?.Invoke(tracker.RunId);
        // The tracker follows the checkpoint saver, so an epoch reaches the store after its
        // checkpoint, and precedes the observers, so a tuning pruner sees the epoch stored.
        var trainer = new Trainer(model, plan,
            [saver, recorder, .. masks is null ? Array.Empty<ITrainerCallback>() : [masks],
             .. tensorboard is null ? Array.Empty<ITrainerCallback>() : [tensorboard],
             .. tracker is null ? Array.Empty<ITrainerCallback>() : [tracker], .. observers], objective);
        try
        {
            if (last is not null)
            {
                if (last.Info.History is not { } history || history.Count != last.Info.Epoch)
                    throw new CheckpointException(run.LastCheckpoint, "holds no training history (written before resuming was possible); it can start a new run with --init");
                trainer.Resume(history, last.Info.Step, last.OptimizerState, last.TrainingState);
            }
            trainer.Fit(data.Train, data.Test, config.Epochs, cancellation);
        }
        catch (Exception e)
        {
            tracker?.Interrupted(e);
            throw;
        }
        return new TrainingOutcome(run, recorder.Latest!, data.Skipped, tracker?.RunId);
    }

    /// <summary>Transfer learning's start: every weight but the head's from a state dict, a
    /// .safetensors file or a VisionLab checkpoint of the same architecture, whatever its classes.</summary>
    private static void LoadPretrained(ImageClassifier model, string path)
    {
        if (!File.Exists(path)) throw new VisionLabException($"pretrained {path}: file not found");
        bool isCheckpoint;
        using (var file = File.OpenRead(path))
        {
            var magic = new byte[6];
            isCheckpoint = file.Read(magic) == 6 && magic.AsSpan().SequenceEqual("VLCKPT"u8);
        }
        if (isCheckpoint)
        {
            using var loaded = Checkpoint.Load(path);
            using var source = loaded.Model;
            TransferLearning.LoadAllButHead(model, source.state_dict(), path);
            return;
        }
        var weights = WeightsFile.Read(path);
        try
        {
            TransferLearning.LoadAllButHead(model, weights, path);
        }
        finally
        {
            foreach (var w in weights.Values) w.Dispose();
        }
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
