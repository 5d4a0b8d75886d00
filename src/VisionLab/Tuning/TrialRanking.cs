namespace VisionLab.Tuning;

/// <summary>
/// Which trials did best, whichever way the study optimizes. Samplers and the CLI's summary rank
/// trials the same way: finished trials by their value; pruned trials, which never finished, by
/// how far they got and their last reported value there (Optuna's rule).
/// </summary>
public static class TrialRanking
{
    /// <summary>The value as a loss: lower is better in either direction.</summary>
    public static double Loss(double value, StudyDirection direction) =>
        direction == StudyDirection.Minimize ? value : -value;

    /// <summary>A complete trial with a value a sampler can rank (not NaN).</summary>
    public static bool HasRankableValue(TrialRecord trial) =>
        trial.State == TrialState.Complete && trial.Value is { } value && !double.IsNaN(value);

    /// <summary>The best complete trial, or null when none has completed. Ties go to the earlier trial.</summary>
    public static TrialRecord? Best(IEnumerable<TrialRecord> trials, StudyDirection direction) =>
        trials.Where(HasRankableValue)
            .OrderBy(t => Loss(t.Value!.Value, direction))
            .ThenBy(t => t.Number)
            .FirstOrDefault();

    /// <summary>
    /// A pruned trial's rank key, smaller is better: first the deepest last step (so −step), then
    /// the loss of the value at that step (NaN counts as worst). A trial pruned before reporting
    /// anything comes after all others.
    /// </summary>
    internal static (double Depth, double Loss) PrunedKey(TrialRecord trial, StudyDirection direction)
    {
        if (trial.Intermediate.Count == 0)
            return (1, 0);
        var last = trial.Intermediate[^1];
        return (-(trial.Intermediate.Count - 1), double.IsNaN(last) ? double.PositiveInfinity : Loss(last, direction));
    }
}
