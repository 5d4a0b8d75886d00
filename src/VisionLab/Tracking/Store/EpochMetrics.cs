using VisionLab.Training;

namespace VisionLab.Tracking.Store;

/// <summary>
/// The names training figures are stored under, and the way between an <see cref="EpochResult"/>
/// and store rows. The names are the <c>metrics.json</c> field names, so a person who knows one
/// knows the other.
/// </summary>
public static class EpochMetrics
{
    public const string LearningRate = "learning_rate";
    public const string TrainLoss = "train_loss";
    public const string TrainAccuracy = "train_accuracy";
    public const string TestLoss = "test_loss";
    public const string TestAccuracy = "test_accuracy";
    public const string TrainSeconds = "train_seconds";
    public const string TrainImagesPerSecond = "train_images_per_second";
    public const string EvalSeconds = "eval_seconds";
    public const string ResidentMemoryMb = "resident_memory_mb";
    public const string ElapsedSeconds = "elapsed_seconds";

    /// <summary>The epoch's mean training loss so far, every few batches (step: batch from the start).</summary>
    public const string RunningTrainLoss = "running_train_loss";
    /// <summary>The epoch's training accuracy so far, every few batches (step: batch from the start).</summary>
    public const string RunningTrainAccuracy = "running_train_accuracy";

    /// <summary>Every per-epoch metric, in the order tables show them.</summary>
    public static IReadOnlyList<string> PerEpoch { get; } =
    [
        LearningRate, TrainLoss, TrainAccuracy, TestLoss, TestAccuracy,
        TrainSeconds, TrainImagesPerSecond, EvalSeconds, ResidentMemoryMb, ElapsedSeconds,
    ];

    public static bool IsPerBatch(string metric) => metric is RunningTrainLoss or RunningTrainAccuracy;

    public static IReadOnlyList<MetricValue> From(EpochResult epoch, DateTime recorded)
    {
        int step = epoch.Epoch;
        return
        [
            new(LearningRate, step, epoch.LearningRate, recorded),
            new(TrainLoss, step, epoch.TrainLoss, recorded),
            new(TrainAccuracy, step, epoch.TrainAccuracy, recorded),
            new(TestLoss, step, epoch.TestLoss, recorded),
            new(TestAccuracy, step, epoch.TestAccuracy, recorded),
            new(TrainSeconds, step, epoch.TrainSeconds, recorded),
            new(TrainImagesPerSecond, step, epoch.TrainImagesPerSecond, recorded),
            new(EvalSeconds, step, epoch.EvalSeconds, recorded),
            new(ResidentMemoryMb, step, epoch.ResidentMemoryMb, recorded),
            new(ElapsedSeconds, step, epoch.ElapsedSeconds, recorded),
        ];
    }

    /// <summary>
    /// The run's epochs rebuilt from its rows, in order. An epoch is included once its test
    /// accuracy is recorded (the last figure an epoch produces); a figure missing for it is NaN.
    /// </summary>
    public static IReadOnlyList<EpochResult> History(IEnumerable<MetricValue> metrics)
    {
        var byEpoch = metrics.Where(m => !IsPerBatch(m.Metric))
            .GroupBy(m => m.Step)
            .Select(g => (Epoch: g.Key, Values: g.GroupBy(m => m.Metric).ToDictionary(m => m.Key, m => m.Last().Value)))
            .Where(e => e.Values.ContainsKey(TestAccuracy))
            .OrderBy(e => e.Epoch);
        return byEpoch.Select(e =>
        {
            double Get(string metric) => e.Values.TryGetValue(metric, out double v) ? v : double.NaN;
            return new EpochResult(e.Epoch, Get(LearningRate), Get(TrainLoss), Get(TrainAccuracy), Get(TestLoss),
                Get(TestAccuracy), Get(TrainSeconds), Get(TrainImagesPerSecond), Get(EvalSeconds), Get(ResidentMemoryMb),
                e.Values.GetValueOrDefault(ElapsedSeconds));
        }).ToList();
    }
}
