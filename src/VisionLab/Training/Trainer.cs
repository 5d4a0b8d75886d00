using System.Diagnostics;
using VisionLab.Data;
using VisionLab.Models;
using VisionLab.Runtime;
using VisionLab.Training.Objectives;
using VisionLab.Training.Optimizers;
using VisionLab.Training.Regularization;
using VisionLab.Training.Schedules;
using VisionLab.Training.Transfer;
using static TorchSharp.torch;

namespace VisionLab.Training;

/// <summary>How the loop optimises: the optimiser and its schedule, and the recipe's extras.</summary>
/// <param name="AccumulateSteps">Batches whose gradients add up before each optimiser step.</param>
/// <param name="Ema">Averaged weights, updated after every step and evaluated in place of the live ones.</param>
/// <param name="MonitorRises">Whether the value early stopping and the plateau schedule watch is the
/// test accuracy (true) or the test loss.</param>
public sealed record TrainingPlan(
    Optimizer Optimizer,
    ILearningRateSchedule Schedule,
    double LabelSmoothing = 0,
    double? ClipGradNorm = null,
    int AccumulateSteps = 1,
    ExponentialMovingAverage? Ema = null,
    EarlyStopping? EarlyStopping = null,
    BackboneFreezing? Freezing = null,
    bool MonitorRises = false);

/// <summary>
/// The training loop: for each epoch, one optimiser step per <see cref="TrainingPlan.AccumulateSteps"/>
/// batches at the schedule's rate for that step, then evaluation on the test split. Everything else —
/// checkpoints, records, progress, event files — is a callback.
/// <para>
/// Everything that changes as training goes — weights, optimiser moments, schedule, weight average,
/// early-stopping counters, the random generator, the step and the history — is in
/// <see cref="TrainingState"/> and the model, so a run resumed from a checkpoint (<see cref="Resume"/>)
/// takes the same steps as one that never stopped and ends with the same weights, bit for bit.
/// </para>
/// </summary>
public sealed class Trainer(ImageClassifier model, TrainingPlan plan, IReadOnlyList<ITrainerCallback> callbacks,
    ITrainingObjective? objective = null)
{
    private const string RandomStateName = "rng";
    private readonly ITrainingObjective objective = objective ?? CrossEntropyObjective.Instance;
    private readonly List<EpochResult> history = [];

    public ImageClassifier Model { get; } = model;
    public TrainingPlan Plan { get; } = plan;
    public Optimizer Optimizer => Plan.Optimizer;
    public IReadOnlyList<EpochResult> History => history;
    public int Epochs { get; private set; }
    /// <summary>Optimiser steps taken over the whole run.</summary>
    public long Step { get; private set; }
    /// <summary>Early stopping ended the run before its last epoch.</summary>
    public bool StoppedEarly { get; private set; }

    /// <summary>Continues from a checkpoint's state: the epochs it completed, its step, and every
    /// stateful piece of the plan. Call before <see cref="Fit"/>; the model's weights are the caller's to load.</summary>
    public void Resume(IReadOnlyList<EpochResult> completed, long step, IReadOnlyDictionary<string, Tensor> optimizerState,
        IReadOnlyDictionary<string, Tensor> trainingState)
    {
        history.Clear();
        history.AddRange(completed);
        Step = step;
        Optimizer.LoadState(optimizerState);
        Plan.Schedule.LoadPrefixed(trainingState, "schedule");
        Plan.Ema?.LoadPrefixed(trainingState, "ema");
        Plan.EarlyStopping?.LoadPrefixed(trainingState, "early_stopping");
        if (!trainingState.TryGetValue(RandomStateName, out var random))
            throw new VisionLabException("the checkpoint holds no random-generator state, so the run cannot continue exactly");
        TorchSharp.torch.random.set_rng_state(random);
    }

    /// <summary>Everything besides the weights and the optimiser that a resumed run needs, as named
    /// tensors (the optimiser's own are <see cref="Optimizer.State"/>).</summary>
    public IEnumerable<(string Name, Tensor Value)> TrainingState() =>
        Plan.Schedule.Prefixed("schedule")
            .Concat(Plan.Ema?.Prefixed("ema") ?? [])
            .Concat(Plan.EarlyStopping?.Prefixed("early_stopping") ?? [])
            .Append((RandomStateName, TorchSharp.torch.random.get_rng_state()));

    public void Fit(IBatchSource train, IBatchSource test, int epochs, CancellationToken cancellation = default)
    {
        if (epochs < 1) throw new VisionLabException($"epochs {epochs} must be at least 1");
        Epochs = epochs;
        using var routing = OneDnnTrainingRouting.Route([Model, .. objective.Networks]);
        int classes = Model.NumClasses;
        // Checkpoints from before elapsed time was recorded hold 0: their epochs' own times are
        // then the best account of the time behind the run.
        double elapsedBefore = history.Count == 0 ? 0
            : history[^1].ElapsedSeconds > 0 ? history[^1].ElapsedSeconds
            : history.Sum(h => h.TrainSeconds + h.EvalSeconds);
        var wall = Stopwatch.StartNew();
        foreach (var c in callbacks) c.OnTrainBegin(this);
        for (int epoch = history.Count; epoch < epochs && !StoppedEarly; epoch++)
        {
            Plan.Freezing?.Apply(Optimizer, epoch);
            var (loss, accuracy, seconds) = TrainOneEpoch(train, epoch, routing, cancellation);
            EvaluationResult evaluation;
            using (Plan.Ema?.SwapIn())
                evaluation = Evaluator.Evaluate(Model, test, classes, cancellation);
            double monitored = Plan.MonitorRises ? evaluation.Accuracy : evaluation.Loss;
            Plan.Schedule.OnEpochEnd(epoch, monitored);
            StoppedEarly = Plan.EarlyStopping?.ShouldStop(epoch, monitored) == true && epoch + 1 < epochs;
            var result = new EpochResult(epoch + 1, Optimizer.LearningRate, loss, accuracy,
                evaluation.Loss, evaluation.Accuracy, seconds, train.ImagesPerEpoch / seconds,
                evaluation.Seconds, ProcessMemory.SettledResidentMb(), elapsedBefore + wall.Elapsed.TotalSeconds);
            history.Add(result);
            foreach (var c in callbacks) c.OnEpochEnd(this, result, evaluation);
        }
        foreach (var c in callbacks) c.OnTrainEnd(this);
    }

    private (double Loss, double Accuracy, double Seconds) TrainOneEpoch(IBatchSource train, int epoch, OneDnnTrainingRouting routing, CancellationToken cancellation)
    {
        Model.train();
        var clock = Stopwatch.StartNew();
        double lossSum = 0;
        long correct = 0, seen = 0;
        int batchIndex = 0, batches = train.BatchesPerEpoch, accumulate = Plan.AccumulateSteps, pending = 0;
        foreach (var batch in train.Epoch(epoch))
        {
            cancellation.ThrowIfCancellationRequested();
            using var b = batch;
            using (NewDisposeScope())
            {
                if (pending == 0) Optimizer.ZeroGrad();
                var (logits, auxiliary) = Model is IAuxiliaryClassifiers withHeads
                    ? withHeads.ForwardWithAuxiliary(b.Images)
                    : (Model.call(b.Images), []);
                var loss = CrossEntropy(logits, b.LossTargets);
                // Auxiliary heads (GoogLeNet, Inception v3) add their weighted losses to what is
                // minimised; the reported loss stays the main head's, comparable across models.
                var minimised = auxiliary.Aggregate(objective.Loss(b.Images, logits, b.Labels, loss), (total, side) =>
                    total.Plus(CrossEntropy(side, b.LossTargets).Times(((IAuxiliaryClassifiers)Model).AuxiliaryLossWeight)));
                // Each batch of a group weighs 1/size of it, so the summed gradient is that of the
                // group's mean loss, as one large batch would give.
                int groupSize = Math.Min(accumulate, batches - (batchIndex - pending));
                routing.Backward(groupSize > 1 ? minimised.DividedBy(groupSize) : minimised);
                if (++pending >= groupSize) TakeStep(ref pending);
                lossSum += loss.item<float>() * b.Size;
                correct += logits.argmax(1).eq(b.ScoredClasses()).sum().item<long>();
            }
            seen += b.Size;
            batchIndex++;
            var progress = new BatchProgress(epoch + 1, Epochs, batchIndex, batches, lossSum / seen,
                (double)correct / seen, seen / clock.Elapsed.TotalSeconds);
            foreach (var c in callbacks) c.OnBatchEnd(this, progress);
        }
        if (pending > 0) TakeStep(ref pending);
        return (lossSum / seen, (double)correct / seen, clock.Elapsed.TotalSeconds);
    }

    private void TakeStep(ref int pending)
    {
        if (Plan.ClipGradNorm is { } maxNorm) GradientClipping.ClipByGlobalNorm(Optimizer.Parameters, maxNorm);
        Optimizer.LearningRate = Plan.Schedule.RateAt(Step);
        if (Plan.Schedule.MomentumAt(Step) is { } momentum) Optimizer.Momentum = momentum;
        Optimizer.Step();
        Plan.Ema?.Update();
        Step++;
        pending = 0;
    }

    private Tensor CrossEntropy(Tensor logits, Tensor targets) =>
        nn.functional.cross_entropy(logits, targets, label_smoothing: Plan.LabelSmoothing);
}
