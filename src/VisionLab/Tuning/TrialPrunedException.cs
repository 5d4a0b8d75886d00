namespace VisionLab.Tuning;

/// <summary>
/// Thrown by an objective to stop a trial the pruner judged too poor (when
/// <see cref="TrialReporter.Report"/> returned true). The tuner records the trial as pruned,
/// with its last reported value, and goes on with the next one.
/// </summary>
public sealed class TrialPrunedException(int trial, int step)
    : Exception($"trial {trial} pruned at step {step}")
{
    public int Trial { get; } = trial;
    public int Step { get; } = step;
}
