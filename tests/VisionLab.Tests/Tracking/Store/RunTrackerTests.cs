using System.Diagnostics;
using VisionLab.Runs;
using VisionLab.Tests.Support;
using VisionLab.Tracking.Store;
using VisionLab.Training;

namespace VisionLab.Tests.Tracking.Store;

/// <summary>A real (tiny) training run recorded by <see cref="RunTracker"/>: figures as they
/// happen, the right ending whether training completes, fails or is cancelled.</summary>
public sealed class RunTrackerTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private const string ConfigJson = """{"model":"lenet5","epochs":2}""";

    private TrainingConfig Tiny(string name, int epochs = 2) => new()
    {
        Model = "lenet5", Data = "fashion-mnist", Epochs = epochs, BatchSize = 64,
        TrainLimit = 640, TestLimit = 200, Seed = 3, Out = folder.File(name),
    };

    /// <summary>What TrainingJob.Run will do once it records runs: the run folder, then the tracker.</summary>
    private static (RunFolder Run, RunTracker Tracker) Start(IExperimentStore store, TrainingConfig config, int batchInterval)
    {
        _ = FashionMnist.Full;
        var run = RunFolder.Create(config.Out, config.Model, DateTime.Now);
        return (run, RunTracker.Start(store, run, config.Model, "fashion-mnist", ConfigJson, batchInterval));
    }

    [Fact]
    public void A_completed_run_is_recorded_epoch_by_epoch_with_its_running_loss()
    {
        using var store = ExperimentStore.Open(folder.File("store.sqlite"));
        var config = Tiny("done");
        var (run, tracker) = Start(store, config, batchInterval: 4);
        int epochsSeenInStore = 0;
        var outcome = TrainingJob.Run(config, [tracker, new OnEpochEnd(result =>
        {
            // Written as it happens: the store already holds this epoch when the epoch ends.
            epochsSeenInStore = EpochMetrics.History(store.Metrics(tracker.RunId)).Count;
            Assert.Equal(result.Epoch, epochsSeenInStore);
            Assert.Equal(RunStatus.Running, store.FindRun(tracker.RunId)!.Status);
        })]);

        var recorded = store.FindRun(tracker.RunId)!;
        Assert.Equal(RunStatus.Completed, recorded.Status);
        Assert.Equal(("done", "lenet5", "fashion-mnist", run.Root), (recorded.Name, recorded.Model, recorded.Data, recorded.Folder));
        Assert.Equal(Environment.ProcessId, recorded.ProcessId);
        Assert.Equal(outcome.Metrics.History, EpochMetrics.History(store.Metrics(recorded.Id)));
        Assert.Equal(ConfigJson, recorded.ConfigJson);
        // 640 images in batches of 64: 10 batches an epoch, a record at batches 4 and 8 of each.
        var running = store.Metrics(recorded.Id, EpochMetrics.RunningTrainLoss);
        Assert.Equal([4, 8, 14, 18], running.Select(m => m.Step));
        Assert.All(running, m => Assert.InRange(m.Value, 0.01, 5.0));
    }

    [Fact]
    public void A_run_that_fails_keeps_its_finished_epochs_and_says_why()
    {
        using var store = ExperimentStore.Open(folder.File("store.sqlite"));
        var config = Tiny("failing", epochs: 3);
        var (_, tracker) = Start(store, config, batchInterval: 0);
        var failure = Assert.Throws<InvalidOperationException>(() =>
        {
            try
            {
                TrainingJob.Run(config, [tracker, new OnBatchEnd(p =>
                {
                    if (p.Epoch == 2 && p.Batch == 3) throw new InvalidOperationException("disk full\nsecond line");
                })]);
            }
            catch (Exception e)
            {
                tracker.Interrupted(e);
                throw;
            }
        });
        Assert.Equal("disk full\nsecond line", failure.Message);
        var recorded = store.FindRun(tracker.RunId)!;
        Assert.Equal((RunStatus.Failed, "disk full"), (recorded.Status, recorded.Error));
        Assert.Single(EpochMetrics.History(store.Metrics(recorded.Id)));
        Assert.Empty(store.Metrics(recorded.Id, EpochMetrics.RunningTrainLoss));
    }

    [Fact]
    public void A_cancelled_run_is_recorded_as_killed()
    {
        using var store = ExperimentStore.Open(folder.File("store.sqlite"));
        var config = Tiny("cancelled");
        var (_, tracker) = Start(store, config, batchInterval: 0);
        using var cancel = new CancellationTokenSource();
        try
        {
            TrainingJob.Run(config, [tracker, new OnEpochEnd(_ => cancel.Cancel())], cancel.Token);
            Assert.Fail("training went on after it was cancelled");
        }
        catch (OperationCanceledException e)
        {
            tracker.Interrupted(e);
        }
        var recorded = store.FindRun(tracker.RunId)!;
        Assert.Equal((RunStatus.Killed, (string?)null), (recorded.Status, recorded.Error));
        Assert.Single(EpochMetrics.History(store.Metrics(recorded.Id)));
    }

    [Fact]
    public void A_resumed_run_continues_its_record_for_the_same_folder()
    {
        using var store = ExperimentStore.Open(folder.File("store.sqlite"));
        var run = RunFolder.Create(folder.File("resumed"), "lenet5", DateTime.Now);
        var first = RunTracker.Start(store, run, "lenet5", "fashion-mnist", ConfigJson);
        store.AppendMetrics(first.RunId, EpochMetrics.From(new EpochResult(1, 0.05, 0.6, 0.8, 0.5, 0.81, 1, 1, 1, 1), DateTime.UtcNow));
        first.Interrupted(new OperationCanceledException());
        Assert.Equal(RunStatus.Killed, store.FindRun(first.RunId)!.Status);

        const string longer = """{"model":"lenet5","epochs":4}""";
        var resumed = RunTracker.Continue(store, run, "lenet5", "fashion-mnist", longer);
        Assert.Equal(first.RunId, resumed.RunId);
        var record = store.FindRun(first.RunId)!;
        Assert.Equal((RunStatus.Running, longer, (DateTime?)null), (record.Status, record.ConfigJson, record.Finished));
        Assert.Single(EpochMetrics.History(store.Metrics(first.RunId)));

        var other = RunTracker.Continue(store, RunFolder.Create(folder.File("never-seen"), "lenet5", DateTime.Now), "lenet5", "fashion-mnist", longer);
        Assert.NotEqual(first.RunId, other.RunId);
        Assert.Equal(2, store.ListRuns(new RunQuery()).Count);
    }

    [Fact]
    public void A_running_run_of_this_machine_whose_process_is_gone_is_lost()
    {
        using var exited = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        exited.WaitForExit();
        var alive = new RunRecord("id", "name", "lenet5", "fashion-mnist", "{}", null, Environment.MachineName, Environment.ProcessId,
            RunStatus.Running, null, DateTime.UtcNow, DateTime.UtcNow, null);
        Assert.False(RunLiveness.IsLost(alive));
        Assert.True(RunLiveness.IsLost(alive with { ProcessId = exited.Id }));
        // pid 1 lives and is older than a run started now, so it could be that run's process; a
        // run from 30 years ago cannot be, since pid 1 started after it: the id was reused.
        Assert.False(RunLiveness.IsLost(alive with { ProcessId = 1 }));
        Assert.True(RunLiveness.IsLost(alive with { ProcessId = 1, Started = DateTime.UtcNow.AddYears(-30) }));
        Assert.False(RunLiveness.IsLost(alive with { ProcessId = exited.Id, Status = RunStatus.Completed }));
        Assert.False(RunLiveness.IsLost(alive with { ProcessId = exited.Id, Host = "another-machine" }));
    }

    private sealed class OnEpochEnd(Action<EpochResult> action) : ITrainerCallback
    {
        void ITrainerCallback.OnEpochEnd(Trainer trainer, EpochResult result, EvaluationResult evaluation) => action(result);
    }

    private sealed class OnBatchEnd(Action<BatchProgress> action) : ITrainerCallback
    {
        void ITrainerCallback.OnBatchEnd(Trainer trainer, in BatchProgress progress) => action(progress);
    }
}
