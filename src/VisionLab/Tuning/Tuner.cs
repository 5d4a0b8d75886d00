namespace VisionLab.Tuning;

/// <summary>
/// One tuning worker: it takes the study's next trial, runs it, records how it ended, and repeats
/// until the study holds the wanted number of trials. Any number of workers — threads, processes,
/// machines — can run against one storage and share the study the way Optuna's RDB storage does:
/// the check "fewer than N trials yet" and the start of a trial are one atomic step of the storage,
/// so together the workers start exactly N trials, each number once.
/// </summary>
/// <remarks>
/// A trial whose objective throws is recorded as failed, with the reason, and the worker goes on;
/// so is one whose objective returns NaN. <see cref="TrialPrunedException"/> records the trial as
/// pruned. Cancellation records the running trial as failed and ends the worker.
/// While a trial runs, its worker records a heartbeat every <see cref="HeartbeatInterval"/>; before
/// starting a trial, a worker fails the trials of workers silent for longer than
/// <see cref="GracePeriod"/> (killed, crashed, or cut off from the store), as Optuna's
/// <c>heartbeat_interval</c> and <c>grace_period</c> do. Workers' clocks must agree to well within
/// the grace period.
/// </remarks>
public sealed class Tuner
{
    private readonly IStudyStorage storage;
    private readonly ISampler sampler;
    private readonly IPruner? pruner;

    public Tuner(IStudyStorage storage, string study, StudyDirection direction, SearchSpace space, ISampler sampler, IPruner? pruner = null)
    {
        if (string.IsNullOrWhiteSpace(study))
            throw new VisionLabException("a study needs a name");
        this.storage = storage;
        this.sampler = sampler;
        this.pruner = pruner;
        Study = study;
        Direction = direction;
        Space = space;
    }

    public string Study { get; }
    public StudyDirection Direction { get; }
    public SearchSpace Space { get; }

    /// <summary>How often a running trial's worker says it is alive.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a running trial's worker may stay silent before other workers fail the trial.</summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Raised on the worker's thread for each trial of a silent worker it marked failed.</summary>
    public event Action<TrialRecord>? StaleTrialFailed;

    /// <summary>Raised on the worker's thread when it has started a trial.</summary>
    public event Action<TrialRecord>? TrialStarted;

    /// <summary>Raised on the worker's thread when a trial it ran has been recorded.</summary>
    public event Action<TrialOutcome>? TrialFinished;

    /// <summary>
    /// Runs trials until the study holds <paramref name="totalTrials"/> trials in all (counting
    /// every worker's, in any state; a study that already has them runs nothing).
    /// </summary>
    /// <param name="objective">Trains with the trial's parameters as config overrides and returns
    /// the objective; reports per-epoch values through the reporter.</param>
    /// <returns>The trials this worker ran, in order.</returns>
    public IReadOnlyList<TrialOutcome> Run(
        int totalTrials,
        Func<TrialRecord, TrialReporter, CancellationToken, double> objective,
        CancellationToken cancellation = default)
    {
        if (totalTrials < 1)
            throw new VisionLabException($"the number of trials must be at least 1 (got {totalTrials})");

        if (HeartbeatInterval <= TimeSpan.Zero || GracePeriod <= HeartbeatInterval)
            throw new VisionLabException(
                $"the heartbeat interval ({HeartbeatInterval.TotalSeconds:G} s) must be positive and shorter than the grace period ({GracePeriod.TotalSeconds:G} s)");
        storage.EnsureStudy(Study, Direction, Space.ToJson());
        var outcomes = new List<TrialOutcome>();
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            foreach (var stale in storage.FailStaleTrials(Study, DateTime.UtcNow - GracePeriod))
                StaleTrialFailed?.Invoke(stale);
            var trial = TryStartTrial(totalTrials);
            if (trial is null)
                break;
            TrialStarted?.Invoke(trial);
            var outcome = RunTrial(trial, objective, cancellation);
            outcomes.Add(outcome);
            TrialFinished?.Invoke(outcome);
        }
        return outcomes;
    }

    /// <summary>Starts the next trial, or returns null when the study already has enough.</summary>
    private TrialRecord? TryStartTrial(int totalTrials)
    {
        if (storage.Trials(Study).Count >= totalTrials)
            return null; // cheap early exit; the check that counts is inside StartTrial
        try
        {
            return storage.StartTrial(Study, trials =>
                trials.Count >= totalTrials
                    ? throw new StudyFullException()
                    : sampler.Propose(Space, Direction, trials));
        }
        catch (Exception e) when (Find<StudyFullException>(e) is not null)
        {
            return null;
        }
    }

    private TrialOutcome RunTrial(
        TrialRecord trial, Func<TrialRecord, TrialReporter, CancellationToken, double> objective, CancellationToken cancellation)
    {
        var reporter = new TrialReporter(storage, Study, Direction, pruner, trial.Number);
        using var heartbeat = new Timer(_ => Beat(trial.Number), null, HeartbeatInterval, HeartbeatInterval);
        TrialOutcome outcome;
        try
        {
            var value = objective(trial, reporter, cancellation);
            outcome = double.IsNaN(value)
                ? new(trial.Number, TrialState.Failed, trial.Parameters, null, "the objective returned NaN")
                : new(trial.Number, TrialState.Complete, trial.Parameters, value);
        }
        catch (Exception e) when (Find<TrialPrunedException>(e) is not null)
        {
            var last = reporter.Reported.Count > 0 ? reporter.Reported[^1] : (double?)null;
            outcome = new(trial.Number, TrialState.Pruned, trial.Parameters, last is { } v && double.IsNaN(v) ? null : last);
        }
        catch (OperationCanceledException e) when (cancellation.IsCancellationRequested)
        {
            storage.FinishTrial(Study, trial.Number, TrialState.Failed, null, Describe(e));
            TrialFinished?.Invoke(new(trial.Number, TrialState.Failed, trial.Parameters, null, Describe(e)));
            throw;
        }
        catch (Exception e)
        {
            outcome = new(trial.Number, TrialState.Failed, trial.Parameters, null, Describe(e));
        }

        heartbeat.Dispose();
        try
        {
            storage.FinishTrial(Study, trial.Number, outcome.State, outcome.Value, outcome.Error);
        }
        catch (Exception) when (storage.Trials(Study).FirstOrDefault(t => t.Number == trial.Number) is { State: not TrialState.Running } taken)
        {
            // Another worker gave up on this one (this worker was silent too long: suspended, cut
            // off); the study keeps that verdict, and this worker goes on.
            outcome = new(trial.Number, taken.State, trial.Parameters, taken.Value, taken.Message);
        }
        return outcome;
    }

    private void Beat(int trial)
    {
        try
        {
            storage.RecordHeartbeat(Study, trial);
        }
        catch (Exception)
        {
            // A store that cannot be reached now may be reachable at the next beat; the trial's own
            // writes report a store that stays away.
        }
    }

    private static string Describe(Exception e) => $"{e.GetType().Name}: {e.Message}";

    // Storages may wrap what a callback throws; look through the inner exceptions.
    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
                return found;
            if (e is AggregateException { InnerExceptions.Count: 1 } aggregate)
                return Find<T>(aggregate.InnerExceptions[0]);
        }
        return null;
    }

    /// <summary>Thrown from inside StartTrial to start nothing: the study is full.</summary>
    private sealed class StudyFullException() : Exception("the study already has all its trials");
}
