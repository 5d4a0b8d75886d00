using System.Diagnostics;
using VisionLab.Data;
using VisionLab.Models;
using VisionLab.Runtime;
using VisionLab.Training.Objectives;
using VisionLab.Training.Optimizers;
using VisionLab.Training.Schedules;
using static TorchSharp.torch;

namespace VisionLab.Training;

/// <summary>
/// The training loop: for each epoch, set the scheduled learning rate, take one optimiser step per
/// batch, then evaluate on the test split. Everything else — checkpoints, records, progress —
/// is a callback.
/// </summary>
public sealed class Trainer(ImageClassifier model, Optimizer optimizer, LearningRateSchedule schedule,
    double baseLearningRate, IReadOnlyList<ITrainerCallback> callbacks, ITrainingObjective? objective = null)
{
    private readonly ITrainingObjective objective = objective ?? CrossEntropyObjective.Instance;
    private readonly List<EpochResult> history = [];

    public ImageClassifier Model { get; } = model;
    public Optimizer Optimizer { get; } = optimizer;
    public IReadOnlyList<EpochResult> History => history;
    public int Epochs { get; private set; }

    public void Fit(IBatchSource train, IBatchSource test, int epochs, CancellationToken cancellation = default)
    {
        if (epochs < 1) throw new VisionLabException($"epochs {epochs} must be at least 1");
        Epochs = epochs;
        using var routing = OneDnnTrainingRouting.Route([Model, .. objective.Networks]);
        int classes = Model.NumClasses;
        foreach (var c in callbacks) c.OnTrainBegin(this);
        for (int epoch = history.Count; epoch < epochs; epoch++)
        {
            Optimizer.LearningRate = schedule.At(epoch, baseLearningRate);
            var (loss, accuracy, seconds) = TrainOneEpoch(train, epoch, routing, cancellation);
            var evaluation = Evaluator.Evaluate(Model, test, classes, cancellation);
            var result = new EpochResult(epoch + 1, Optimizer.LearningRate, loss, accuracy,
                evaluation.Loss, evaluation.Accuracy, seconds, train.ImagesPerEpoch / seconds,
                evaluation.Seconds, ProcessMemory.SettledResidentMb());
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
        int batchIndex = 0, batches = train.BatchesPerEpoch;
        foreach (var batch in train.Epoch(epoch))
        {
            cancellation.ThrowIfCancellationRequested();
            using var b = batch;
            using (NewDisposeScope())
            {
                var (logits, auxiliary) = Model is IAuxiliaryClassifiers withHeads
                    ? withHeads.ForwardWithAuxiliary(b.Images)
                    : (Model.call(b.Images), []);
                var loss = nn.functional.cross_entropy(logits, b.LossTargets);
                // Auxiliary heads (GoogLeNet, Inception v3) add their weighted losses to what is
                // minimised; the reported loss stays the main head's, comparable across models.
                var minimised = auxiliary.Aggregate(objective.Loss(b.Images, logits, b.Labels, loss), (total, side) =>
                    total + ((IAuxiliaryClassifiers)Model).AuxiliaryLossWeight * nn.functional.cross_entropy(side, b.LossTargets));
                Optimizer.ZeroGrad();
                routing.Backward(minimised);
                Optimizer.Step();
                lossSum += loss.item<float>() * b.Size;
                correct += logits.argmax(1).eq(b.ScoredClasses()).sum().item<long>();
            }
            seen += b.Size;
            batchIndex++;
            var progress = new BatchProgress(epoch + 1, Epochs, batchIndex, batches, lossSum / seen,
                (double)correct / seen, seen / clock.Elapsed.TotalSeconds);
            foreach (var c in callbacks) c.OnBatchEnd(this, progress);
        }
        return (lossSum / seen, (double)correct / seen, clock.Elapsed.TotalSeconds);
    }
}
