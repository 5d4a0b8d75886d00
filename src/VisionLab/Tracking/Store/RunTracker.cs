using VisionLab.Runs;
using VisionLab.Training;

namespace VisionLab.Tracking.Store;

/// <summary>
/// Records a training run in the experiment store while it happens: the run when training
/// starts, each epoch's figures the moment the epoch ends, the running training loss and accuracy
/// every few batches, and how the run ended. A run whose process dies keeps every figure up to
/// that moment and stays "running", which <see cref="RunLiveness"/> recognises.
/// </summary>
public sealed class RunTracker : ITrainerCallback
{
    /// <summary>Batches between two records of the running figures: often enough to see a long
    /// epoch move, rarely enough that the store costs nothing next to the batches.</summary>
    public const int DefaultBatchInterval = 50;

    private readonly IExperimentStore store;
    private readonly int batchInterval;
    private bool finished;

    private RunTracker(IExperimentStore store, string runId, int batchInterval)
    {
        this.store = store;
        this.batchInterval = batchInterval;
        RunId = runId;
    }

    /// <summary>The run's id in the store (a tuning trial links to it).</summary>
    public string RunId { get; }

    /// <summary>Records the run as started and returns the callback that keeps it current.</summary>
    /// <param name="model">The zoo model's name.</param>
    /// <param name="data">The data set's name as the run reports it.</param>
    /// <param name="configJson">The run's settings, as written to its <c>config.json</c>.</param>
    /// <param name="batchInterval">Batches between records of the running figures; 0: none.</param>
    public static RunTracker Start(IExperimentStore store, RunFolder run, string model, string data, string configJson,
        int batchInterval = DefaultBatchInterval)
    {
        CheckInterval(batchInterval);
        string id = Guid.NewGuid().ToString("N");
        store.CreateRun(new NewRun(id, Path.GetFileName(run.Root), model, data, configJson, run.Root,
            Environment.MachineName, Environment.ProcessId, DateTime.UtcNow));
        return new RunTracker(store, id, batchInterval);
    }

    /// <summary>
    /// For a resumed run: the record this machine made for the same run folder becomes running
    /// again, in this process, with the settings it goes on with (more epochs, say). A folder the
    /// store never saw (trained before it, or with another store) gets a new record, and the
    /// epochs already behind it are recorded when training begins.
    /// </summary>
    public static RunTracker Continue(IExperimentStore store, RunFolder run, string model, string data, string configJson,
        int batchInterval = DefaultBatchInterval)
    {
        CheckInterval(batchInterval);
        var earlier = store.ListRuns(new RunQuery(Folder: run.Root, Limit: 20))
            .FirstOrDefault(r => string.Equals(r.Run.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase));
        if (earlier is null) return Start(store, run, model, data, configJson, batchInterval);
        store.ResumeRun(earlier.Run.Id, configJson, Environment.MachineName, Environment.ProcessId);
        return new RunTracker(store, earlier.Run.Id, batchInterval);
    }

    // A resumed trainer starts with the epochs its checkpoint held; recording them again is harmless
    // (a metric at a step is replaced) and fills in a record that is new.
    public void OnTrainBegin(Trainer trainer)
    {
        var now = DateTime.UtcNow;
        if (trainer.History.Count > 0)
            store.AppendMetrics(RunId, trainer.History.SelectMany(epoch => EpochMetrics.From(epoch, now)).ToList());
    }

    public void OnBatchEnd(Trainer trainer, in BatchProgress progress)
    {
        if (batchInterval == 0 || progress.Batch % batchInterval != 0) return;
        int step = (progress.Epoch - 1) * progress.Batches + progress.Batch;
        var now = DateTime.UtcNow;
        store.AppendMetrics(RunId,
        [
            new MetricValue(EpochMetrics.RunningTrainLoss, step, progress.Loss, now),
            new MetricValue(EpochMetrics.RunningTrainAccuracy, step, progress.Accuracy, now),
        ]);
    }

    public void OnEpochEnd(Trainer trainer, EpochResult result, EvaluationResult evaluation) =>
        store.AppendMetrics(RunId, EpochMetrics.From(result, DateTime.UtcNow));

    public void OnTrainEnd(Trainer trainer) => Finish(RunStatus.Completed, null);

    /// <summary>
    /// Records why training stopped early: killed when it was cancelled, failed (with the
    /// message) otherwise. Call it from the code that runs the trainer, then rethrow. It never
    /// throws itself, so the original exception is the one a user sees; if the store is what
    /// failed, the run stays "running" and shows as lost.
    /// </summary>
    public void Interrupted(Exception reason)
    {
        bool cancelled = reason is OperationCanceledException;
        try
        {
            Finish(cancelled ? RunStatus.Killed : RunStatus.Failed, cancelled ? null : reason.Message.Split('\n')[0]);
        }
        catch (VisionLabException)
        {
        }
    }

    private static void CheckInterval(int batchInterval)
    {
        if (batchInterval < 0) throw new VisionLabException($"batch interval {batchInterval} must be 0 (off) or more");
    }

    private void Finish(RunStatus status, string? error)
    {
        if (finished) return;
        store.FinishRun(RunId, status, error);
        finished = true;
    }
}
