using System.Collections.Concurrent;
using VisionLab.Tracking.Store;
using VisionLab.Training;
using VisionLab.Tuning;

namespace VisionLab.Tests.Tracking.Store;

/// <summary>
/// What every experiment store engine must do, run once per engine by the classes that derive
/// from this one: runs and metrics read back as recorded, survive their process, resolve by
/// prefix; studies number their trials serially however many workers start them at once.
/// </summary>
public abstract class ExperimentStoreContract
{
    /// <summary>The location of a new, empty store, as <c>--store</c> takes it.</summary>
    protected abstract string NewLocation();

    /// <summary>Runs a statement on the store's database directly, behind the store's back.</summary>
    protected abstract void ExecuteSql(string location, string sql);

    protected abstract long ScalarSql(string location, string sql);

    private static NewRun Run(string id, string name = "20250101-120000-lenet5", string model = "lenet5", DateTime? started = null,
        string config = """{"model":"lenet5","epochs":2,"learning_rate":0.05}""") =>
        new(id, name, model, "fashion-mnist", config, "/runs/" + name, Environment.MachineName, Environment.ProcessId,
            started ?? DateTime.UtcNow);

    private static EpochResult Epoch(int epoch, double testAccuracy, double trainLoss = 0.5) =>
        new(epoch, 0.05 / epoch, trainLoss, 0.8, 0.45, testAccuracy, 12.5, 4321.0, 1.25, 612.0);

    [Fact]
    public void A_run_and_its_metrics_read_back_exactly_as_recorded()
    {
        string location = NewLocation();
        using var store = ExperimentStore.Open(location);
        var started = new DateTime(2025, 3, 4, 5, 6, 7, 123, DateTimeKind.Utc);
        store.CreateRun(Run("a1", started: started));

        var running = store.FindRun("a1")!;
        Assert.Equal(RunStatus.Running, running.Status);
        Assert.Equal(started, running.Started);
        Assert.Equal(DateTimeKind.Utc, running.Started.Kind);
        Assert.Equal(("lenet5", "fashion-mnist", Environment.ProcessId), (running.Model, running.Data, running.ProcessId));
        Assert.Null(running.Finished);

        var history = new[] { Epoch(1, 0.71), Epoch(2, 0.83) };
        store.AppendMetrics("a1", EpochMetrics.From(history[0], DateTime.UtcNow));
        var afterOne = store.ListRuns(new RunQuery()).Single();
        Assert.Equal((1, 0.71, 0.71), (afterOne.Epochs, afterOne.TestAccuracy, afterOne.BestTestAccuracy));
        Assert.True(afterOne.Run.Updated > started, "appending metrics marks the run as heard from");

        store.AppendMetrics("a1", EpochMetrics.From(history[1], DateTime.UtcNow));
        store.FinishRun("a1", RunStatus.Completed);

        var done = store.FindRun("a1")!;
        Assert.Equal(RunStatus.Completed, done.Status);
        Assert.NotNull(done.Finished);
        Assert.Equal(history, EpochMetrics.History(store.Metrics("a1")));
        Assert.Equal([0.71, 0.83], store.Metrics("a1", EpochMetrics.TestAccuracy).Select(m => m.Value));
        Assert.Null(store.FindRun("a2"));
    }

    [Fact]
    public void Metrics_written_before_a_crash_are_there_when_the_store_is_opened_again()
    {
        string location = NewLocation();
        // The process "dies" after its first epoch: the store is dropped without finishing the run.
        using (var dying = ExperimentStore.Open(location))
        {
            dying.CreateRun(Run("c1"));
            dying.AppendMetrics("c1", EpochMetrics.From(Epoch(1, 0.64), DateTime.UtcNow));
        }
        using var store = ExperimentStore.Open(location);
        var run = store.ListRuns(new RunQuery()).Single();
        Assert.Equal(RunStatus.Running, run.Run.Status);
        Assert.Equal(1, run.Epochs);
        Assert.Equal(0.64, run.TestAccuracy);
        Assert.Equal(EpochMetrics.PerEpoch.Count, store.Metrics("c1").Count);
    }

    [Fact]
    public void Recording_an_epoch_twice_keeps_the_later_figures_once()
    {
        using var store = ExperimentStore.Open(NewLocation());
        store.CreateRun(Run("r1"));
        store.AppendMetrics("r1", EpochMetrics.From(Epoch(1, 0.5), DateTime.UtcNow));
        store.AppendMetrics("r1", EpochMetrics.From(Epoch(1, 0.6), DateTime.UtcNow));
        Assert.Equal([0.6], store.Metrics("r1", EpochMetrics.TestAccuracy).Select(m => m.Value));
    }

    [Fact]
    public void A_diverged_loss_reads_back_as_NaN_and_infinities_survive()
    {
        using var store = ExperimentStore.Open(NewLocation());
        store.CreateRun(Run("n1"));
        var now = DateTime.UtcNow;
        store.AppendMetrics("n1",
            [new(EpochMetrics.TrainLoss, 1, double.NaN, now), new(EpochMetrics.TestLoss, 1, double.PositiveInfinity, now)]);
        Assert.True(double.IsNaN(store.Metrics("n1", EpochMetrics.TrainLoss).Single().Value));
        Assert.Equal(double.PositiveInfinity, store.Metrics("n1", EpochMetrics.TestLoss).Single().Value);
    }

    [Fact]
    public void Runs_are_found_by_id_by_name_or_by_a_prefix_only_one_of_them_has()
    {
        using var store = ExperimentStore.Open(NewLocation());
        store.CreateRun(Run("abc123", name: "20250101-120000-lenet5"));
        store.CreateRun(Run("abd456", name: "20250101-130000-resnet18", model: "resnet18"));
        store.CreateRun(Run("ffe789", name: "abc"));

        Assert.Equal("abc123", store.ResolveRun("abc123").Id);
        Assert.Equal("ffe789", store.ResolveRun("abc").Id); // an exact name beats a prefix of an id
        Assert.Equal("abc123", store.ResolveRun("abc1").Id);
        Assert.Equal("abd456", store.ResolveRun("20250101-13").Id);
        Assert.Equal("abd456", store.ResolveRun("20250101-130000-resnet18").Id);

        var ambiguous = Assert.Throws<VisionLabException>(() => store.ResolveRun("ab"));
        Assert.Contains("abc123", ambiguous.Message);
        Assert.Contains("abd456", ambiguous.Message);
        Assert.Contains("no run 'zz'", Assert.Throws<VisionLabException>(() => store.ResolveRun("zz")).Message);
        // A LIKE pattern would match everything here; a prefix match does not.
        Assert.Throws<VisionLabException>(() => store.ResolveRun("%"));
        Assert.Throws<VisionLabException>(() => store.ResolveRun("ABC123"));
    }

    [Fact]
    public void Listing_filters_by_status_and_model_newest_first_up_to_the_limit()
    {
        using var store = ExperimentStore.Open(NewLocation());
        var t0 = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        store.CreateRun(Run("r1", started: t0));
        store.CreateRun(Run("r2", model: "resnet18", started: t0.AddMinutes(1)));
        store.CreateRun(Run("r3", started: t0.AddMinutes(2)));
        store.FinishRun("r1", RunStatus.Completed);
        store.FinishRun("r2", RunStatus.Failed, "out of memory");

        Assert.Equal(["r3", "r2", "r1"], store.ListRuns(new RunQuery()).Select(r => r.Run.Id));
        Assert.Equal(["r3", "r2"], store.ListRuns(new RunQuery(Limit: 2)).Select(r => r.Run.Id));
        Assert.Equal(["r3", "r1"], store.ListRuns(new RunQuery(Model: "lenet5")).Select(r => r.Run.Id));
        var failed = store.ListRuns(new RunQuery(Status: RunStatus.Failed)).Single();
        Assert.Equal(("r2", "out of memory", 0), (failed.Run.Id, failed.Run.Error, failed.Epochs));
        Assert.Null(failed.TestAccuracy);
    }

    [Fact]
    public void A_resumed_run_is_running_again_in_its_new_process_with_its_new_settings()
    {
        using var store = ExperimentStore.Open(NewLocation());
        store.CreateRun(Run("r1", name: "one"));
        store.CreateRun(Run("r2", name: "two"));
        store.AppendMetrics("r1", EpochMetrics.From(Epoch(1, 0.5), DateTime.UtcNow));
        store.FinishRun("r1", RunStatus.Failed, "power cut");

        Assert.Equal(["r1"], store.ListRuns(new RunQuery(Folder: "/runs/one")).Select(r => r.Run.Id));
        store.ResumeRun("r1", """{"epochs":9}""", "other-host", 4242);
        var resumed = store.FindRun("r1")!;
        Assert.Equal((RunStatus.Running, (string?)null, (DateTime?)null), (resumed.Status, resumed.Error, resumed.Finished));
        Assert.Equal(("""{"epochs":9}""", "other-host", 4242), (resumed.ConfigJson, resumed.Host, resumed.ProcessId));
        Assert.Single(EpochMetrics.History(store.Metrics("r1")));
        Assert.Throws<VisionLabException>(() => store.ResumeRun("ghost", "{}", "h", 1));
    }

    [Fact]
    public void Deleting_a_run_removes_its_metrics_and_unlinks_its_trial()
    {
        using var store = ExperimentStore.Open(NewLocation());
        store.CreateRun(Run("d1"));
        store.CreateRun(Run("d2"));
        store.AppendMetrics("d1", EpochMetrics.From(Epoch(1, 0.5), DateTime.UtcNow));
        store.AppendMetrics("d2", EpochMetrics.From(Epoch(1, 0.6), DateTime.UtcNow));
        store.EnsureStudy("s", StudyDirection.Maximize, "{}");
        var trial = store.StartTrial("s", _ => new Dictionary<string, string>());
        store.AttachRun("s", trial.Number, "d1");

        Assert.True(store.DeleteRun("d1"));
        Assert.Null(store.FindRun("d1"));
        Assert.Empty(store.Metrics("d1"));
        Assert.Null(store.Trials("s").Single().RunId);
        Assert.Equal(EpochMetrics.PerEpoch.Count, store.Metrics("d2").Count);
        Assert.False(store.DeleteRun("d1"));
    }

    [Fact]
    public void Writing_to_a_run_the_store_does_not_hold_is_an_error_that_names_it()
    {
        using var store = ExperimentStore.Open(NewLocation());
        var append = Assert.Throws<VisionLabException>(() => store.AppendMetrics("ghost", EpochMetrics.From(Epoch(1, 0.5), DateTime.UtcNow)));
        Assert.Contains("run ghost is not in", append.Message);
        Assert.Contains("ghost", Assert.Throws<VisionLabException>(() => store.FinishRun("ghost", RunStatus.Completed)).Message);
        Assert.Empty(store.Metrics("ghost"));
        store.CreateRun(Run("twice"));
        Assert.Contains("already holds a run with id twice", Assert.Throws<VisionLabException>(() => store.CreateRun(Run("twice"))).Message);
    }

    [Fact]
    public void A_store_records_its_schema_version_once_and_refuses_a_newer_one()
    {
        string location = NewLocation();
        ExperimentStore.Open(location).Dispose();
        using (var again = ExperimentStore.Open(location)) again.CreateRun(Run("v1"));
        using (var third = ExperimentStore.Open(location)) Assert.NotNull(third.FindRun("v1"));
        Assert.Equal(StoreSchema.Version, ScalarSql(location, "SELECT COUNT(*) FROM schema_version"));
        Assert.Equal(StoreSchema.Version, ScalarSql(location, "SELECT MAX(version) FROM schema_version"));

        ExecuteSql(location, "INSERT INTO schema_version (version) VALUES (99)");
        var newer = Assert.Throws<VisionLabException>(() => ExperimentStore.Open(location));
        Assert.Contains("schema version 99, newer than this VisionLab knows", newer.Message);
    }

    [Fact]
    public void A_version_1_store_upgrades_and_its_running_trial_counts_as_heard_from_when_it_started()
    {
        string location = NewLocation();
        using (var store = ExperimentStore.Open(location))
        {
            store.EnsureStudy("old", StudyDirection.Maximize, "{}");
            store.StartTrial("old", _ => new Dictionary<string, string> { ["seed"] = "1" });
        }
        // Back to version 1's shape, as a store written by the VisionLab before heartbeats.
        ExecuteSql(location, "ALTER TABLE trials DROP COLUMN heartbeat");
        ExecuteSql(location, "ALTER TABLE trials DROP COLUMN message");
        ExecuteSql(location, "DELETE FROM schema_version WHERE version > 1");

        using var upgraded = ExperimentStore.Open(location);
        Assert.Equal(StoreSchema.Version, ScalarSql(location, "SELECT MAX(version) FROM schema_version"));
        var trial = Assert.Single(upgraded.Trials("old"));
        Assert.Equal(TrialState.Running, trial.State);
        Assert.NotNull(trial.Heartbeat);
        Assert.Null(trial.Message);
        Assert.Empty(upgraded.FailStaleTrials("old", trial.Heartbeat!.Value));
        Assert.Single(upgraded.FailStaleTrials("old", trial.Heartbeat!.Value.AddSeconds(1)));
    }

    [Fact]
    public void Only_trials_whose_worker_went_silent_are_failed_with_their_runs_and_a_late_worker_cannot_finish_one()
    {
        using var store = ExperimentStore.Open(NewLocation());
        store.EnsureStudy("s", StudyDirection.Maximize, "{}");
        store.CreateRun(Run("silent-run"));
        var none = new Dictionary<string, string>();
        var silent = store.StartTrial("s", _ => none);
        store.AttachRun("s", silent.Number, "silent-run");
        var alive = store.StartTrial("s", _ => none);
        var done = store.StartTrial("s", _ => none);
        store.FinishTrial("s", done.Number, TrialState.Complete, 0.5);
        var cutoff = DateTime.UtcNow;
        // Every heartbeat from here on is later than the cut-off, whatever the clock's resolution.
        Assert.True(SpinWait.SpinUntil(() => DateTime.UtcNow > cutoff.AddMilliseconds(2), TimeSpan.FromSeconds(5)));
        store.RecordHeartbeat("s", alive.Number);

        var failed = Assert.Single(store.FailStaleTrials("s", cutoff));

        Assert.Equal((silent.Number, TrialState.Failed), (failed.Number, failed.State));
        Assert.Contains("stopped reporting", failed.Message);
        var trials = store.Trials("s");
        Assert.Equal([TrialState.Failed, TrialState.Running, TrialState.Complete], trials.Select(t => t.State));
        Assert.Equal(failed.Message, trials[0].Message);
        Assert.True(trials[1].Heartbeat > cutoff);
        var run = store.FindRun("silent-run")!;
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(failed.Message, run.Error);
        Assert.Empty(store.FailStaleTrials("s", cutoff));

        // The worker comes back: its heartbeat changes nothing, its result is refused.
        store.RecordHeartbeat("s", silent.Number);
        Assert.Contains("already failed", Assert.Throws<VisionLabException>(() => store.FinishTrial("s", silent.Number, TrialState.Complete, 0.9)).Message);
        Assert.Equal(TrialState.Failed, store.Trials("s")[0].State);
        Assert.Contains("has no trial 9", Assert.Throws<VisionLabException>(() => store.RecordHeartbeat("s", 9)).Message);
    }

    [Fact]
    public void A_failed_trial_keeps_why_it_failed()
    {
        using var store = ExperimentStore.Open(NewLocation());
        store.EnsureStudy("s", StudyDirection.Maximize, "{}");
        var trial = store.StartTrial("s", _ => new Dictionary<string, string>());
        store.FinishTrial("s", trial.Number, TrialState.Failed, null, "VisionLabException: lr -1 must be positive");
        Assert.Equal("VisionLabException: lr -1 must be positive", Assert.Single(store.Trials("s")).Message);
    }

    [Fact]
    public void A_study_keeps_the_direction_and_search_space_it_was_created_with()
    {
        using var store = ExperimentStore.Open(NewLocation());
        const string space = """{"optimizer.lr":{"log_uniform":[0.001,0.1]}}""";
        store.EnsureStudy("lr", StudyDirection.Maximize, space);
        store.EnsureStudy("lr", StudyDirection.Maximize, space);
        Assert.Contains("created to maximize, not minimize",
            Assert.Throws<VisionLabException>(() => store.EnsureStudy("lr", StudyDirection.Minimize, space)).Message);
        Assert.Contains("different search space",
            Assert.Throws<VisionLabException>(() => store.EnsureStudy("lr", StudyDirection.Maximize, "{}")).Message);
        Assert.Contains("no study 'other'",
            Assert.Throws<VisionLabException>(() => store.StartTrial("other", _ => new Dictionary<string, string>())).Message);
        Assert.Throws<VisionLabException>(() => store.Trials("other"));
        Assert.Empty(store.Trials("lr"));
    }

    [Fact]
    public void A_trial_keeps_its_parameters_intermediate_values_run_and_result()
    {
        using var store = ExperimentStore.Open(NewLocation());
        store.EnsureStudy("s", StudyDirection.Minimize, "{}");
        var first = store.StartTrial("s", seen =>
        {
            Assert.Empty(seen);
            return new Dictionary<string, string> { ["optimizer.lr"] = "0.0132", ["batch_size"] = "64" };
        });
        Assert.Equal((0, TrialState.Running), (first.Number, first.State));
        store.ReportIntermediate("s", 0, 0.9);
        store.ReportIntermediate("s", 0, double.NaN);
        store.ReportIntermediate("s", 0, 0.7);
        store.AttachRun("s", 0, "run-0");
        store.FinishTrial("s", 0, TrialState.Complete, 0.7);

        var second = store.StartTrial("s", seen =>
        {
            var t = Assert.Single(seen);
            Assert.Equal(TrialState.Complete, t.State);
            return new Dictionary<string, string> { ["optimizer.lr"] = "0.001" };
        });
        Assert.Equal(1, second.Number);
        store.FinishTrial("s", 1, TrialState.Pruned, null);

        var trials = store.Trials("s");
        Assert.Equal([0, 1], trials.Select(t => t.Number));
        var done = trials[0];
        Assert.Equal(TrialState.Complete, done.State);
        Assert.Equal(0.7, done.Value);
        Assert.Equal("run-0", done.RunId);
        Assert.Equal("0.0132", done.Parameters["optimizer.lr"]);
        Assert.Equal("64", done.Parameters["batch_size"]);
        Assert.Equal(3, done.Intermediate.Count);
        Assert.Equal(0.9, done.Intermediate[0]);
        Assert.True(double.IsNaN(done.Intermediate[1]));
        Assert.Equal(0.7, done.Intermediate[2]);
        Assert.Equal((TrialState.Pruned, (double?)null), (trials[1].State, trials[1].Value));

        Assert.Contains("already complete", Assert.Throws<VisionLabException>(() => store.ReportIntermediate("s", 0, 0.5)).Message);
        Assert.Contains("already pruned", Assert.Throws<VisionLabException>(() => store.FinishTrial("s", 1, TrialState.Failed, null)).Message);
        Assert.Contains("has no trial 7", Assert.Throws<VisionLabException>(() => store.AttachRun("s", 7, "x")).Message);
        var third = store.StartTrial("s", _ => new Dictionary<string, string>());
        Assert.Contains("without an objective value",
            Assert.Throws<VisionLabException>(() => store.FinishTrial("s", third.Number, TrialState.Complete, null)).Message);
    }

    /// <summary>
    /// The brief's proof for tuning: several workers, each with its own store (its own connections),
    /// start trials at the same moment until N are started. Every number must be used once, and
    /// the proposal that made each trial must have seen exactly the trials numbered before it —
    /// including those of other workers still running. The proposal sleeps, to hold the window in
    /// which a second worker could slip in open as wide as possible.
    /// </summary>
    [Fact]
    public async Task Concurrent_workers_number_trials_serially_and_every_proposal_sees_every_earlier_trial()
    {
        const int workers = 4, trialsWanted = 40;
        string location = NewLocation();
        using (var setup = ExperimentStore.Open(location))
            setup.EnsureStudy("race", StudyDirection.Maximize, """{"x":{"uniform":[0,1]}}""");

        var seenBy = new ConcurrentDictionary<int, int[]>();
        var byWorker = new ConcurrentDictionary<int, int>();
        int claimed = 0;
        using var ready = new Barrier(workers);
        // Tasks on threads of their own: a failed assertion in a worker reaches the test through WhenAll.
        var tasks = Enumerable.Range(0, workers).Select(w => Task.Factory.StartNew(() =>
        {
            ready.SignalAndWait();
            using var store = ExperimentStore.Open(location);
            while (Interlocked.Increment(ref claimed) <= trialsWanted)
            {
                int[] seen = [];
                var trial = store.StartTrial("race", trials =>
                {
                    seen = trials.Select(t => t.Number).ToArray();
                    Thread.Sleep(3);
                    return new Dictionary<string, string> { ["worker"] = $"{w}", ["seen"] = $"{seen.Length}" };
                });
                Assert.True(seenBy.TryAdd(trial.Number, seen), $"trial number {trial.Number} was handed out twice");
                byWorker.AddOrUpdate(w, 1, (_, n) => n + 1);
                // A short "training" outside the lock, reported like a tuning worker would.
                Thread.Sleep(2);
                store.ReportIntermediate("race", trial.Number, trial.Number * 0.01);
                store.FinishTrial("race", trial.Number, TrialState.Complete, trial.Number * 0.01);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(tasks);

        using var reader = ExperimentStore.Open(location);
        var recorded = reader.Trials("race");
        Assert.Equal(Enumerable.Range(0, trialsWanted), recorded.Select(t => t.Number));
        Assert.All(recorded, t => Assert.Equal(TrialState.Complete, t.State));
        foreach (var t in recorded)
        {
            Assert.Equal(Enumerable.Range(0, t.Number), seenBy[t.Number]);
            Assert.Equal($"{t.Number}", t.Parameters["seen"]);
        }
        Assert.True(byWorker.Count >= 2, $"only worker {string.Join(",", byWorker.Keys)} started trials: the test did not race");
        Assert.Equal(trialsWanted, byWorker.Values.Sum());
    }
}
