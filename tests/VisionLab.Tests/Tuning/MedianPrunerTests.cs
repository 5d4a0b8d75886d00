using VisionLab.Tuning;
using static VisionLab.Tests.Tuning.TrialHistory;

namespace VisionLab.Tests.Tuning;

/// <summary>
/// Decisions worked out by hand from Optuna's PercentilePruner rules (optuna/pruners/_percentile.py,
/// which MedianPruner is at 50 %): prune when the trial's best value so far is worse than the
/// median, over completed trials, of the values reported at the same step.
/// </summary>
public class MedianPrunerTests
{
    // Five completed trials (minimizing). Medians by step: step 0 → 7, step 1 → 6, step 2 → 5.
    // Only the first four reach step 3, with 2, 3, 4, 5: median (3 + 4)/2 = 3.5.
    private static List<TrialRecord> Completed() =>
    [
        Complete(0, 2, 5, 4, 3, 2),
        Complete(1, 3, 6, 5, 4, 3),
        Complete(2, 4, 7, 6, 5, 4),
        Complete(3, 5, 8, 7, 6, 5),
        Complete(4, 7, 9, 8, 7),
    ];

    private static bool Decide(IPruner pruner, List<TrialRecord> history, params double[] reported)
    {
        var trial = Running(history.Count, reported);
        return pruner.ShouldPrune(StudyDirection.Minimize, [.. history, trial], trial);
    }

    [Theory]
    [InlineData(true, "7.5")]                 // step 0: 7.5 > median 7
    [InlineData(false, "7.0")]                // a tie with the median does not prune
    [InlineData(false, "6.5")]
    [InlineData(true, "6.5 6.2")]             // step 1: best so far 6.2 > 6
    [InlineData(false, "5.0 8.0")]            // step 1: the latest 8 is bad, but the best so far, 5, is below 6
    [InlineData(true, "9.0 9.0 5.5")]         // step 2: best 5.5 > 5
    [InlineData(true, "4.0 4.0 4.0 3.6")]     // step 3: 3.6 > 3.5, the mean of the middle two of 2, 3, 4, 5
    [InlineData(false, "4.0 4.0 4.0 3.4")]
    [InlineData(false, "9.0 9.0 9.0 9.0 9.0")] // step 4: no completed trial got there
    public void Prunes_when_the_best_so_far_is_worse_than_the_median_at_that_step(bool prune, string reported)
    {
        var values = reported.Split(' ').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

        Assert.Equal(prune, Decide(new MedianPruner(), Completed(), values));
    }

    [Fact]
    public void Nothing_is_pruned_before_five_trials_have_completed()
    {
        // Four completed, plus pruned, failed and running trials with low values: none of those count.
        var history = Completed().Take(4).ToList();
        history.Add(Pruned(4, 0, 0));
        history.Add(Failed(5));
        history.Add(Running(6, 0, 0, 0));

        Assert.False(Decide(new MedianPruner(), history, 100));
        Assert.True(Decide(new MedianPruner(startupTrials: 4), history, 100));
        // and they do not move the median: with four completed at step 0 (5, 6, 7, 8) it is 6.5
        Assert.True(Decide(new MedianPruner(startupTrials: 4), history, 6.6));
        Assert.False(Decide(new MedianPruner(startupTrials: 4), history, 6.4));
    }

    [Fact]
    public void Warmup_steps_are_never_pruned()
    {
        var pruner = new MedianPruner(warmupSteps: 2);

        Assert.False(Decide(pruner, Completed(), 100));
        Assert.False(Decide(pruner, Completed(), 100, 100));
        Assert.True(Decide(pruner, Completed(), 100, 100, 100));
    }

    [Fact]
    public void Only_every_interval_th_step_after_the_warmup_is_checked()
    {
        // interval 2, no warm-up: steps 0, 2, 4 …
        var everyOther = new MedianPruner(intervalSteps: 2);
        Assert.True(Decide(everyOther, Completed(), 7.5));
        Assert.False(Decide(everyOther, Completed(), 6.5, 100));   // 6.5 > 6 at step 1, but step 1 is not checked
        Assert.True(Decide(everyOther, Completed(), 6.5, 100, 100)); // 6.5 > 5 at step 2

        // warm-up 1, interval 2: steps 1, 3 …
        var offset = new MedianPruner(warmupSteps: 1, intervalSteps: 2);
        Assert.False(Decide(offset, Completed(), 100));
        Assert.True(Decide(offset, Completed(), 100, 100));
        Assert.False(Decide(offset, Completed(), 100, 100, 100));
    }

    [Fact]
    public void Nan_values_are_skipped_and_a_trial_of_only_nan_is_pruned()
    {
        Assert.True(Decide(new MedianPruner(), Completed(), double.NaN));
        Assert.False(Decide(new MedianPruner(), Completed(), 6.0, double.NaN)); // best so far 6 ≤ 6

        // A completed trial's NaN at a step is left out of that step's median: 5, 6, 7, 8 → 6.5.
        var history = Completed();
        history[4] = Complete(4, 7, double.NaN, 8, 7);
        Assert.True(Decide(new MedianPruner(), history, 6.6));
        Assert.False(Decide(new MedianPruner(), history, 6.4));
    }

    [Fact]
    public void When_maximizing_lower_values_are_the_poor_ones()
    {
        // accuracies at step 0: 0.5 … 0.9, median 0.7
        var history = Enumerable.Range(0, 5).Select(n => Complete(n, 0.9, 0.5 + 0.1 * n)).ToList();
        bool Decide(params double[] reported)
        {
            var trial = Running(5, reported);
            return new MedianPruner().ShouldPrune(StudyDirection.Maximize, [.. history, trial], trial);
        }

        Assert.True(Decide(0.65));
        Assert.False(Decide(0.75));
    }

    [Fact]
    public void Bad_settings_are_rejected()
    {
        Assert.Throws<VisionLabException>(() => new MedianPruner(startupTrials: -1));
        Assert.Throws<VisionLabException>(() => new MedianPruner(warmupSteps: -1));
        Assert.Throws<VisionLabException>(() => new MedianPruner(intervalSteps: 0));
    }
}
