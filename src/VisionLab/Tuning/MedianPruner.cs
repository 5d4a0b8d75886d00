namespace VisionLab.Tuning;

/// <summary>
/// Stops a trial whose best value so far is worse than the median of what completed trials had
/// reached at the same step — Optuna's MedianPruner (its PercentilePruner at 50 %), rule for rule:
/// <list type="bullet">
/// <item>no pruning until <c>startupTrials</c> trials have completed (pruned, failed and running
/// ones do not count), nor before step <c>warmupSteps</c>;</item>
/// <item>after the warm-up, only every <c>intervalSteps</c>-th step is checked
/// (steps warmup, warmup + interval, …);</item>
/// <item>the trial's figure is its best intermediate value so far, not its latest, so one bad
/// epoch after good ones does not prune it; NaN values are skipped, and a trial with nothing but
/// NaN is pruned;</item>
/// <item>the median is over the completed trials that reported a (non-NaN) value at this very
/// step, the mean of the middle two for an even count; with none, the trial goes on.</item>
/// </list>
/// Steps count from 0: <see cref="TrialRecord.Intermediate"/>[s] is the value at step s.
/// </summary>
public sealed class MedianPruner : IPruner
{
    public MedianPruner(int startupTrials = 5, int warmupSteps = 0, int intervalSteps = 1)
    {
        if (startupTrials < 0)
            throw new VisionLabException($"median pruner: startup trials must not be negative (got {startupTrials})");
        if (warmupSteps < 0)
            throw new VisionLabException($"median pruner: warm-up steps must not be negative (got {warmupSteps})");
        if (intervalSteps < 1)
            throw new VisionLabException($"median pruner: interval steps must be at least 1 (got {intervalSteps})");
        StartupTrials = startupTrials;
        WarmupSteps = warmupSteps;
        IntervalSteps = intervalSteps;
    }

    public int StartupTrials { get; }
    public int WarmupSteps { get; }
    public int IntervalSteps { get; }

    public bool ShouldPrune(StudyDirection direction, IReadOnlyList<TrialRecord> trials, TrialRecord trial)
    {
        var completed = trials.Where(t => t.State == TrialState.Complete && t.Number != trial.Number).ToList();
        if (completed.Count == 0 || completed.Count < StartupTrials)
            return false;

        var step = trial.Intermediate.Count - 1;
        if (step < 0 || step < WarmupSteps)
            return false;
        // Optuna checks the first reported step at or after each interval mark; with one value
        // per step, as here, that is the mark itself.
        if ((step - WarmupSteps) % IntervalSteps != 0)
            return false;

        var reported = trial.Intermediate.Where(v => !double.IsNaN(v)).ToList();
        if (reported.Count == 0)
            return true;
        var bestSoFar = direction == StudyDirection.Maximize ? reported.Max() : reported.Min();

        var atStep = completed
            .Where(t => t.Intermediate.Count > step && !double.IsNaN(t.Intermediate[step]))
            .Select(t => t.Intermediate[step])
            .ToList();
        if (atStep.Count == 0)
            return false;
        var median = Median(atStep);

        return direction == StudyDirection.Maximize ? bestSoFar < median : bestSoFar > median;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        var middle = values.Count / 2;
        return values.Count % 2 == 1 ? values[middle] : 0.5 * (values[middle - 1] + values[middle]);
    }
}
