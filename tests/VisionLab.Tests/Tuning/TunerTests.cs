using VisionLab.Tuning;

namespace VisionLab.Tests.Tuning;

public class TunerTests
{
    private static readonly SearchSpace Space = SearchSpace.Parse("""
        optimizer.lr: {type: loguniform, low: 1.0e-4, high: 0.3}
        batch_size: {type: int, low: 32, high: 256, step: 32}
        optimizer.name: {type: categorical, choices: [sgd, adamw]}
        """);

    private static Tuner NewTuner(IStudyStorage storage, ISampler? sampler = null, IPruner? pruner = null) =>
        new(storage, "study", StudyDirection.Minimize, Space, sampler ?? new RandomSampler(1), pruner);

    [Fact]
    public void Three_workers_share_a_study_and_run_exactly_n_trials()
    {
        const int total = 14, failing = 4, bad = 11;
        var storage = new InMemoryStudyStorage();
        var calls = 0;

        // Every trial reports 1.0 for three epochs and returns 1.0 (never worse than the median, so
        // never pruned) except one that throws and one that reports 100: the median pruner stops it
        // at its first epoch, as by then at least 8 trials have completed (trials start in number
        // order and at most two others are still running).
        double Objective(TrialRecord trial, TrialReporter reporter, CancellationToken cancellation)
        {
            Interlocked.Increment(ref calls);
            Assert.Equal(trial.Number, reporter.Trial);
            Assert.Equal(3, trial.Parameters.Count);
            if (trial.Number == failing)
                throw new InvalidOperationException("out of memory, say");
            var value = trial.Number == bad ? 100.0 : 1.0;
            for (var epoch = 0; epoch < 3; epoch++)
            {
                Thread.Sleep(2);
                if (reporter.Report(value))
                    throw reporter.Prune();
            }
            return value;
        }

        var outcomes = new IReadOnlyList<TrialOutcome>[3];
        var workers = Enumerable.Range(0, 3).Select(w => new Thread(() =>
            outcomes[w] = NewTuner(storage, new TpeSampler(w), new MedianPruner()).Run(total, Objective))).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());

        var trials = storage.Trials("study");
        Assert.Equal(total, calls);
        Assert.Equal(Enumerable.Range(0, total), trials.Select(t => t.Number));
        Assert.Equal(Enumerable.Range(0, total), outcomes.SelectMany(o => o).Select(o => o.Number).Order());
        Assert.All(outcomes, o => Assert.Equal(o.Select(x => x.Number).Order(), o.Select(x => x.Number))); // each worker's in order

        Assert.Equal(TrialState.Failed, trials[failing].State);
        Assert.Null(trials[failing].Value);
        var failure = outcomes.SelectMany(o => o).Single(o => o.Number == failing);
        Assert.Equal("InvalidOperationException: out of memory, say", failure.Error);

        Assert.Equal(TrialState.Pruned, trials[bad].State);
        Assert.Equal([100.0], trials[bad].Intermediate);
        Assert.Equal(100.0, trials[bad].Value); // a pruned trial keeps its last value, as in Optuna

        Assert.All(trials.Where(t => t.Number is not failing and not bad), t =>
        {
            Assert.Equal(TrialState.Complete, t.State);
            Assert.Equal(1.0, t.Value);
            Assert.Equal([1.0, 1.0, 1.0], t.Intermediate);
        });
        Assert.All(trials, t => Assert.All(Space.Parameters, p => Assert.True(p.TryParse(t.Parameters[p.Key], out _))));
    }

    [Fact]
    public void A_worker_that_finds_the_study_full_runs_nothing_and_a_larger_n_adds_trials()
    {
        var storage = new InMemoryStudyStorage();
        var calls = 0;
        double Objective(TrialRecord t, TrialReporter r, CancellationToken c) => ++calls;

        Assert.Equal(5, NewTuner(storage).Run(5, Objective).Count);
        Assert.Empty(NewTuner(storage).Run(5, Objective));
        Assert.Empty(NewTuner(storage).Run(3, Objective));
        Assert.Equal(5, calls);

        var more = NewTuner(storage).Run(8, Objective);
        Assert.Equal([5, 6, 7], more.Select(o => o.Number));
        Assert.Equal(8, storage.Trials("study").Count);
    }

    [Fact]
    public void The_full_check_is_part_of_starting_a_trial_so_a_late_worker_cannot_overshoot()
    {
        // Another worker starts the last trial between this worker's first look and its StartTrial.
        var storage = new InterleavingStorage(new InMemoryStudyStorage());
        var calls = 0;

        var outcomes = NewTuner(storage).Run(3, (t, r, c) => ++calls);

        Assert.Equal(2, outcomes.Count);
        Assert.Equal(3, storage.Trials("study").Count);
        Assert.Equal(TrialState.Running, storage.Trials("study")[2].State); // the other worker's
    }

    [Fact]
    public void A_nan_objective_fails_the_trial()
    {
        var storage = new InMemoryStudyStorage();

        var outcome = Assert.Single(NewTuner(storage).Run(1, (t, r, c) => double.NaN));

        Assert.Equal(TrialState.Failed, outcome.State);
        Assert.Equal("the objective returned NaN", outcome.Error);
        Assert.Equal(TrialState.Failed, storage.Trials("study")[0].State);
        Assert.Equal("the objective returned NaN", storage.Trials("study")[0].Message);
    }

    [Fact]
    public void A_failed_trial_keeps_why_it_failed_in_the_study()
    {
        var storage = new InMemoryStudyStorage();

        NewTuner(storage).Run(2, (t, r, c) => t.Number == 0 ? throw new InvalidOperationException("out of disk") : 0.5);

        var trials = storage.Trials("study");
        Assert.Equal((TrialState.Failed, "InvalidOperationException: out of disk"), (trials[0].State, trials[0].Message));
        Assert.Equal((TrialState.Complete, (string?)null), (trials[1].State, trials[1].Message));
    }

    [Fact]
    public void The_trial_of_a_worker_that_went_silent_is_failed_by_the_next_worker_and_counts_toward_n()
    {
        var storage = new InMemoryStudyStorage();
        storage.EnsureStudy("study", StudyDirection.Minimize, Space.ToJson());
        // A worker that started a trial and was then killed: it never beats or finishes.
        var orphan = storage.StartTrial("study", trials => new RandomSampler(5).Propose(Space, StudyDirection.Minimize, trials));
        var quick = new Tuner(storage, "study", StudyDirection.Minimize, Space, new RandomSampler(1))
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(10),
            GracePeriod = TimeSpan.FromMilliseconds(50),
        };
        var reported = new List<TrialRecord>();
        quick.StaleTrialFailed += reported.Add;
        Assert.True(SpinWait.SpinUntil(() => DateTime.UtcNow > orphan.Heartbeat!.Value.AddMilliseconds(80), TimeSpan.FromSeconds(5)));

        var outcomes = quick.Run(3, (t, r, c) => 1.0);

        Assert.Equal([1, 2], outcomes.Select(o => o.Number));
        var stale = Assert.Single(reported);
        Assert.Equal(orphan.Number, stale.Number);
        var trials = storage.Trials("study");
        Assert.Equal([TrialState.Failed, TrialState.Complete, TrialState.Complete], trials.Select(t => t.State));
        Assert.Contains("stopped reporting", trials[0].Message);
    }

    [Fact]
    public void A_worker_whose_trial_another_worker_gave_up_on_keeps_that_verdict_and_goes_on()
    {
        var storage = new InMemoryStudyStorage();

        var outcomes = NewTuner(storage).Run(2, (t, r, c) =>
        {
            // As if this worker had been suspended past the grace period and another had noticed.
            if (t.Number == 0) Assert.Single(storage.FailStaleTrials("study", DateTime.UtcNow.AddSeconds(1)));
            return 1.0;
        });

        Assert.Equal([TrialState.Failed, TrialState.Complete], outcomes.Select(o => o.State));
        Assert.Contains("stopped reporting", outcomes[0].Error);
        Assert.Equal([TrialState.Failed, TrialState.Complete], storage.Trials("study").Select(t => t.State));
    }

    [Fact]
    public void A_long_trial_beats_so_other_workers_leave_it_running()
    {
        var storage = new InMemoryStudyStorage();
        var tuner = new Tuner(storage, "study", StudyDirection.Minimize, Space, new RandomSampler(1))
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(20),
            GracePeriod = TimeSpan.FromMilliseconds(200),
        };
        bool beat = false, othersLeftItAlone = false;

        tuner.Run(1, (t, r, c) =>
        {
            var first = storage.Trials("study")[t.Number].Heartbeat!.Value;
            // Longer than the grace period, with a check from "another worker" at the end.
            beat = SpinWait.SpinUntil(() => storage.Trials("study")[t.Number].Heartbeat > first.AddMilliseconds(300), TimeSpan.FromSeconds(10));
            othersLeftItAlone = storage.FailStaleTrials("study", DateTime.UtcNow - tuner.GracePeriod).Count == 0;
            return 1.0;
        });

        Assert.True(beat, "the trial's heartbeat did not move on while it ran");
        Assert.True(othersLeftItAlone);
        Assert.Equal(TrialState.Complete, storage.Trials("study")[0].State);
    }

    [Fact]
    public void A_heartbeat_no_shorter_than_the_grace_period_is_refused()
    {
        var tuner = new Tuner(new InMemoryStudyStorage(), "study", StudyDirection.Minimize, Space, new RandomSampler(1))
        {
            HeartbeatInterval = TimeSpan.FromSeconds(60),
            GracePeriod = TimeSpan.FromSeconds(60),
        };
        Assert.Contains("shorter than the grace period", Assert.Throws<VisionLabException>(() => tuner.Run(1, (t, r, c) => 1.0)).Message);
    }

    [Fact]
    public void A_trial_pruned_before_reporting_has_no_value()
    {
        var storage = new InMemoryStudyStorage();

        var outcome = Assert.Single(NewTuner(storage).Run(1, (t, r, c) => throw new AggregateException(new TrialPrunedException(t.Number, 0))));

        Assert.Equal(TrialState.Pruned, outcome.State);
        Assert.Null(storage.Trials("study")[0].Value);
    }

    [Fact]
    public void Cancelling_fails_the_running_trial_and_stops_the_worker()
    {
        var storage = new InMemoryStudyStorage();
        using var cancel = new CancellationTokenSource();
        var finished = new List<TrialOutcome>();
        var tuner = NewTuner(storage);
        tuner.TrialFinished += finished.Add;

        Assert.ThrowsAny<OperationCanceledException>(() => tuner.Run(10, (t, r, c) =>
        {
            if (t.Number == 2)
            {
                cancel.Cancel();
                c.ThrowIfCancellationRequested();
            }
            return 1.0;
        }, cancel.Token));

        var trials = storage.Trials("study");
        Assert.Equal(3, trials.Count);
        Assert.Equal(TrialState.Failed, trials[2].State);
        Assert.Equal([TrialState.Complete, TrialState.Complete, TrialState.Failed], finished.Select(o => o.State));
    }

    [Fact]
    public void A_worker_with_another_direction_or_space_is_refused()
    {
        var storage = new InMemoryStudyStorage();
        NewTuner(storage).Run(1, (t, r, c) => 1.0);

        var direction = Assert.Throws<VisionLabException>(() =>
            new Tuner(storage, "study", StudyDirection.Maximize, Space, new RandomSampler(1)).Run(2, (t, r, c) => 1.0));
        Assert.Contains("direction Minimize, not Maximize", direction.Message);

        var otherSpace = SearchSpace.Parse("optimizer.lr: {type: loguniform, low: 1.0e-4, high: 0.1}");
        var space = Assert.Throws<VisionLabException>(() =>
            new Tuner(storage, "study", StudyDirection.Minimize, otherSpace, new RandomSampler(1)).Run(2, (t, r, c) => 1.0));
        Assert.Contains("a different search space", space.Message);
    }

    [Fact]
    public void Tpe_through_the_tuner_improves_on_its_random_start()
    {
        var storage = new InMemoryStudyStorage();
        var space = SearchSpace.Parse("x: {type: uniform, low: -10, high: 10}");
        var tuner = new Tuner(storage, "bowl", StudyDirection.Minimize, space, new TpeSampler(0));

        var outcomes = tuner.Run(40, (t, r, c) => Math.Pow(double.Parse(t.Parameters["x"], System.Globalization.CultureInfo.InvariantCulture) - 3, 2));

        var best = TrialRanking.Best(storage.Trials("bowl"), StudyDirection.Minimize)!;
        Assert.Equal(outcomes.Min(o => o.Value), best.Value);
        Assert.True(best.Value < 0.05, $"best {best.Value}");
        Assert.True(outcomes.Skip(20).Average(o => o.Value!.Value) < outcomes.Take(10).Average(o => o.Value!.Value) / 4);
    }

    /// <summary>Lets a simulated second worker start a trial just before this worker's StartTrial, once.</summary>
    private sealed class InterleavingStorage(InMemoryStudyStorage inner) : IStudyStorage
    {
        private bool interleaved;

        public void EnsureStudy(string study, StudyDirection direction, string spaceJson) => inner.EnsureStudy(study, direction, spaceJson);

        public TrialRecord StartTrial(string study, Func<IReadOnlyList<TrialRecord>, IReadOnlyDictionary<string, string>> propose)
        {
            if (!interleaved && inner.Trials(study).Count == 2)
            {
                interleaved = true;
                inner.StartTrial(study, trials => new RandomSampler(99).Propose(Space, StudyDirection.Minimize, trials));
            }
            return inner.StartTrial(study, propose);
        }

        public void ReportIntermediate(string study, int trial, double value) => inner.ReportIntermediate(study, trial, value);
        public void AttachRun(string study, int trial, string runId) => inner.AttachRun(study, trial, runId);
        public void FinishTrial(string study, int trial, TrialState state, double? value, string? message) =>
            inner.FinishTrial(study, trial, state, value, message);
        public void RecordHeartbeat(string study, int trial) => inner.RecordHeartbeat(study, trial);
        public IReadOnlyList<TrialRecord> FailStaleTrials(string study, DateTime silentSince) => inner.FailStaleTrials(study, silentSince);
        public IReadOnlyList<TrialRecord> Trials(string study) => inner.Trials(study);
    }
}
