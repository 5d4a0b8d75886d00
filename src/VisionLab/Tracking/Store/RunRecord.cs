namespace VisionLab.Tracking.Store;

/// <summary>How a run ended, as its own process recorded it. A process that dies records nothing,
/// so its run stays <see cref="Running"/>; <see cref="RunLiveness"/> tells such runs apart.</summary>
public enum RunStatus { Running, Completed, Failed, Killed }

/// <summary>What the store needs to know when a run starts.</summary>
/// <param name="Id">Unique across every machine sharing the store (a GUID).</param>
/// <param name="Name">What a person calls the run: its folder's name.</param>
/// <param name="ConfigJson">The run's settings, as written to its <c>config.json</c>.</param>
/// <param name="Folder">The run folder's full path on <paramref name="Host"/>.</param>
/// <param name="ProcessId">The training process, so a run whose process is gone can be recognised.</param>
public sealed record NewRun(
    string Id, string Name, string Model, string Data, string ConfigJson, string? Folder,
    string Host, int ProcessId, DateTime Started);

/// <summary>One run as the store holds it. Times are UTC.</summary>
/// <param name="Updated">When the run last recorded anything: a run that stopped reporting shows here.</param>
public sealed record RunRecord(
    string Id, string Name, string Model, string Data, string ConfigJson, string? Folder,
    string Host, int ProcessId, RunStatus Status, string? Error,
    DateTime Started, DateTime Updated, DateTime? Finished);

/// <summary>A run with the figures a list shows: epochs done, last and best test accuracy.</summary>
public sealed record RunSummary(RunRecord Run, int Epochs, double? TestAccuracy, double? BestTestAccuracy);

/// <summary>Which runs to list. Null filters match everything.</summary>
/// <param name="Folder">Only runs recorded with this run folder (full path).</param>
public sealed record RunQuery(RunStatus? Status = null, string? Model = null, int Limit = 50, string? Folder = null);

/// <summary>
/// One recorded figure. <paramref name="Step"/> is the epoch for per-epoch metrics and the batch
/// counted from the start of training for per-batch ones (<see cref="EpochMetrics.IsPerBatch"/>).
/// NaN (a diverged loss) is stored as SQL NULL, since SQLite cannot hold NaN.
/// </summary>
public sealed record MetricValue(string Metric, int Step, double Value, DateTime Recorded);
