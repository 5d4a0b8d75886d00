namespace VisionLab.Tuning;

public enum TrialState { Running, Complete, Pruned, Failed }

public enum StudyDirection { Maximize, Minimize }

/// <summary>
/// One trial of a study. Its parameters are config overrides (<c>optimizer.lr</c> → <c>"0.0132"</c>,
/// invariant culture), so a trial is reproduced by training with them as <c>--set</c> options.
/// </summary>
/// <param name="Intermediate">The objective after each epoch so far, in order; pruners compare these.</param>
/// <param name="RunId">The run store's id of the training run this trial is, once it has one.</param>
/// <param name="Message">Why a failed trial failed; null otherwise.</param>
/// <param name="Heartbeat">When the trial's worker last said it was still running it (UTC); its
/// start until the first heartbeat.</param>
public sealed record TrialRecord(
    int Number,
    TrialState State,
    IReadOnlyDictionary<string, string> Parameters,
    double? Value,
    IReadOnlyList<double> Intermediate,
    string? RunId = null,
    string? Message = null,
    DateTime? Heartbeat = null);

/// <summary>
/// Where a study's trials live. Several tuning workers — threads, processes or machines — share
/// one study through it, the way Optuna's RDB storage works: starting a trial is one atomic step
/// that sees every trial recorded so far, so no two workers ever run the same trial number, and a
/// sampler proposing the next parameters sees its neighbours' finished (and running) trials.
/// </summary>
public interface IStudyStorage
{
    /// <summary>Creates the study if it does not exist. An existing study must have the same
    /// direction and search space (<paramref name="spaceJson"/> compared as text) or this throws.</summary>
    void EnsureStudy(string study, StudyDirection direction, string spaceJson);

    /// <summary>
    /// Atomically: reads the study's trials, calls <paramref name="propose"/> with them, and records
    /// a new <see cref="TrialState.Running"/> trial with the proposed parameters and the next free
    /// number. <paramref name="propose"/> may be called more than once if another worker got in
    /// first; it must not have side effects.
    /// </summary>
    TrialRecord StartTrial(string study, Func<IReadOnlyList<TrialRecord>, IReadOnlyDictionary<string, string>> propose);

    /// <summary>Appends the objective after one more epoch of a running trial.</summary>
    void ReportIntermediate(string study, int trial, double value);

    /// <summary>Links a trial to its training run in the run store.</summary>
    void AttachRun(string study, int trial, string runId);

    /// <param name="message">Why the trial failed, for a failed one.</param>
    void FinishTrial(string study, int trial, TrialState state, double? value, string? message = null);

    /// <summary>Records that the worker running <paramref name="trial"/> is alive. A trial that is no
    /// longer running (another worker gave up on it) is left as it is.</summary>
    void RecordHeartbeat(string study, int trial);

    /// <summary>
    /// Marks every running trial whose worker has not been heard from since <paramref name="silentSince"/>
    /// (UTC) as failed, with a message saying so, and returns them. This is how a study gets over a
    /// worker that crashed or was killed mid-trial: otherwise its trial would stay running forever.
    /// </summary>
    IReadOnlyList<TrialRecord> FailStaleTrials(string study, DateTime silentSince);

    /// <summary>Every trial of the study, by number.</summary>
    IReadOnlyList<TrialRecord> Trials(string study);
}
