namespace VisionLab.Tuning;

/// <summary>How one trial a worker ran ended.</summary>
/// <param name="Value">The objective for a complete trial; the last reported value for a pruned one
/// (as Optuna records it); null for a failed one.</param>
/// <param name="Error">Why a failed trial failed (exception type and message); null otherwise.</param>
public sealed record TrialOutcome(
    int Number,
    TrialState State,
    IReadOnlyDictionary<string, string> Parameters,
    double? Value,
    string? Error = null);
