namespace VisionLab.Tuning;

/// <summary>
/// What a running trial's objective uses to talk to its study: after each epoch it reports the
/// objective (<see cref="Report"/>), which the storage keeps and the pruner judges; it links the
/// trial to its training run (<see cref="AttachRun"/>).
/// </summary>
public sealed class TrialReporter
{
    private readonly IStudyStorage storage;
    private readonly string study;
    private readonly StudyDirection direction;
    private readonly IPruner? pruner;
    private readonly List<double> reported = [];

    internal TrialReporter(IStudyStorage storage, string study, StudyDirection direction, IPruner? pruner, int trial)
    {
        this.storage = storage;
        this.study = study;
        this.direction = direction;
        this.pruner = pruner;
        Trial = trial;
    }

    /// <summary>The trial's number in the study.</summary>
    public int Trial { get; }

    /// <summary>The values reported so far, step 0 first.</summary>
    public IReadOnlyList<double> Reported => reported;

    /// <summary>
    /// Stores the objective after one more epoch and asks the pruner about the trial. True means
    /// stop: the objective should throw <see cref="TrialPrunedException"/> (see <see cref="Prune"/>).
    /// </summary>
    public bool Report(double value)
    {
        storage.ReportIntermediate(study, Trial, value);
        reported.Add(value);
        if (pruner is null)
            return false;
        var trials = storage.Trials(study);
        var self = trials.FirstOrDefault(t => t.Number == Trial)
            ?? throw new InvalidOperationException($"study {study} has no trial {Trial}");
        return pruner.ShouldPrune(direction, trials, self);
    }

    /// <summary>The exception that stops this trial as pruned at the last reported step.</summary>
    public TrialPrunedException Prune() => new(Trial, reported.Count - 1);

    /// <summary>Links the trial to its training run in the run store.</summary>
    public void AttachRun(string runId) => storage.AttachRun(study, Trial, runId);
}
