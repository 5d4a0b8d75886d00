using VisionLab.Tuning;

namespace VisionLab.Tracking.Store;

/// <summary>
/// Where every training run is recorded: what it was asked to do, where it ran, how it stands, and
/// its metrics as they happen. Tuning studies live in the same store (<see cref="IStudyStorage"/>),
/// so a trial links to its run. <see cref="ExperimentStore.Open"/> gives a SQLite file in the
/// project folder or a shared PostgreSQL database; every member is safe to call from several
/// threads, and several processes may share one store.
/// </summary>
public interface IExperimentStore : IStudyStorage, IDisposable
{
    /// <summary>Where the store is, for messages: a file path, or a PostgreSQL URL without its password.</summary>
    string Location { get; }

    /// <summary>Records a new run, <see cref="RunStatus.Running"/> from <see cref="NewRun.Started"/>.</summary>
    void CreateRun(NewRun run);

    /// <summary>Adds figures to a run and marks it as heard from now. A metric already recorded at
    /// the same step is replaced, so recording an epoch twice leaves one row.</summary>
    void AppendMetrics(string runId, IReadOnlyList<MetricValue> values);

    /// <summary>Marks a run as running again in a new process (a resumed run), with the settings it
    /// goes on with; its metrics so far stay.</summary>
    void ResumeRun(string runId, string configJson, string host, int processId);

    /// <summary>Ends a run as completed, failed or killed; <paramref name="error"/> says why it failed.</summary>
    void FinishRun(string runId, RunStatus status, string? error = null);

    /// <summary>Runs newest first, with their headline figures.</summary>
    IReadOnlyList<RunSummary> ListRuns(RunQuery query);

    /// <summary>The run with exactly this id, or null.</summary>
    RunRecord? FindRun(string runId);

    /// <summary>
    /// The one run a user means by <paramref name="reference"/>: its id or name, or a prefix of
    /// either that only one run has. Throws a <see cref="VisionLabException"/> naming the
    /// candidates when the prefix is ambiguous, or when nothing matches.
    /// </summary>
    RunRecord ResolveRun(string reference);

    /// <summary>A run's metrics by name then step; only <paramref name="metric"/> when given.</summary>
    IReadOnlyList<MetricValue> Metrics(string runId, string? metric = null);

    /// <summary>Removes a run and its metrics (trials that pointed to it lose the link). False when
    /// there was no such run.</summary>
    bool DeleteRun(string runId);
}
