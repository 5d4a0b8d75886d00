namespace VisionLab.Tuning;

/// <summary>
/// One tuning worker: it takes the study's next trial, runs it, records how it ended, and repeats
/// until the study holds the wanted number of trials. Any number of workers — threads, processes,
/// machines — can run against one storage and share the study the way Optuna's RDB storage does:
/// the check "fewer than N trials yet" and the start of a trial are one atomic step of the storage,
/// so together the workers start exactly N trials, each number once.
/// </summary>
/// <remarks>
/// A trial whose objective throws is recorded as failed and the worker goes on; so is one whose
/// objective returns NaN. <see cref="TrialPrunedException"/> records the trial as pruned.
/// Cancellation records the running trial as failed and ends the worker.
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

        storage.EnsureStudy(Study, Direction, Space.ToJson());
        var outcomes = new List<TrialOutcome>();
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
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
            storage.FinishTrial(Study, trial.Number, TrialState.Failed, null);
            TrialFinished?.Invoke(new(trial.Number, TrialState.Failed, trial.Parameters, null, Describe(e)));
            throw;
        }
        catch (Exception e)
        {
            outcome = new(trial.Number, TrialState.Failed, trial.Parameters, null, Describe(e));
        }

        storage.FinishTrial(Study, trial.Number, outcome.State, outcome.Value);
        return outcome;
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
