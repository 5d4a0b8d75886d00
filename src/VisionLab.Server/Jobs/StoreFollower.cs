using VisionLab.Tracking.Store;

namespace VisionLab.Server.Jobs;

/// <summary>
/// Turns what a job's training process records in the run store into the job's events: an
/// <c>epoch</c> event for each finished epoch (every per-epoch figure) and a <c>progress</c> event
/// for each new running loss (every few batches), each once, in order.
/// </summary>
internal sealed class StoreFollower(IExperimentStore store, TrainingJobRecord job)
{
    private int epochsSent;
    private int lastBatch = -1;

    public void Poll()
    {
        job.RunId ??= store.ListRuns(new RunQuery(Folder: job.Folder, Limit: 1)).FirstOrDefault()?.Run.Id;
        if (job.RunId is null) return;
        var metrics = store.Metrics(job.RunId);

        var loss = metrics.Where(m => m.Metric == EpochMetrics.RunningTrainLoss && m.Step > lastBatch).OrderBy(m => m.Step).ToList();
        var accuracy = metrics.Where(m => m.Metric == EpochMetrics.RunningTrainAccuracy).ToDictionary(m => m.Step, m => m.Value);
        foreach (var m in loss)
        {
            job.Add(new JobEvent("progress", new { step = m.Step, running_train_loss = m.Value,
                running_train_accuracy = accuracy.TryGetValue(m.Step, out double a) ? a : (double?)null }));
            lastBatch = m.Step;
        }

        var history = EpochMetrics.History(metrics);
        foreach (var epoch in history.Skip(epochsSent)) job.Add(new JobEvent("epoch", epoch));
        epochsSent = Math.Max(epochsSent, history.Count);
    }
}
