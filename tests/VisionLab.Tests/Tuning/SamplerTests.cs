using VisionLab.Tuning;

namespace VisionLab.Tests.Tuning;

public class SamplerTests
{
    private static readonly SearchSpace Space = SearchSpace.Parse("""
        lr: {type: loguniform, low: 1.0e-4, high: 1.0}
        smoothing: {type: uniform, low: 0.0, high: 0.2}
        batch: {type: int, low: 32, high: 256, step: 32}
        width: {type: int, low: 1, high: 1024, log: true}
        optimizer: {type: categorical, choices: [sgd, adamw, rmsprop]}
        """);

    /// <summary>Proposes <paramref name="count"/> trials in a row, each finishing with a made-up value.</summary>
    private static List<TrialRecord> Run(ISampler sampler, int count, Func<IReadOnlyDictionary<string, string>, double>? objective = null)
    {
        var trials = new List<TrialRecord>();
        for (var n = 0; n < count; n++)
        {
            var parameters = sampler.Propose(Space, StudyDirection.Minimize, trials);
            var value = objective?.Invoke(parameters) ?? n % 7;
            trials.Add(TrialHistory.Complete(n, value).WithParameters(parameters));
        }
        return trials;
    }

    private static void AssertValid(IReadOnlyDictionary<string, string> parameters)
    {
        Assert.Equal(Space.Parameters.Select(p => p.Key), parameters.Keys.Order(StringComparer.Ordinal));
        foreach (var parameter in Space.Parameters)
            Assert.True(parameter.TryParse(parameters[parameter.Key], out _), $"{parameter.Key} = {parameters[parameter.Key]}");
    }

    [Fact]
    public void Random_draws_stay_in_range_and_on_the_step_grid()
    {
        foreach (var trial in Run(new RandomSampler(1), 500))
        {
            AssertValid(trial.Parameters); // TryParse rejects values outside the bounds or off the grid
            var batch = int.Parse(trial.Parameters["batch"]);
            Assert.Equal(0, (batch - 32) % 32);
        }
    }

    [Fact]
    public void Random_draws_reach_both_ends_of_an_int_grid_evenly()
    {
        var counts = Run(new RandomSampler(2), 1600).GroupBy(t => t.Parameters["batch"]).ToDictionary(g => g.Key, g => g.Count());

        // 8 grid points, 200 expected each; 4.6 standard deviations is ±65.
        Assert.Equal(["128", "160", "192", "224", "256", "32", "64", "96"], counts.Keys.Order(StringComparer.Ordinal));
        Assert.All(counts.Values, c => Assert.InRange(c, 135, 265));
    }

    [Fact]
    public void Log_ranges_are_uniform_in_log_scale()
    {
        var trials = Run(new RandomSampler(3), 4000);

        // loguniform 1e-4 … 1: a quarter of the draws in each decade (±0.03 is 4.4 standard deviations).
        var lr = trials.Select(t => double.Parse(t.Parameters["lr"], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        for (var decade = -4; decade < 0; decade++)
        {
            var share = lr.Count(v => v >= Math.Pow(10, decade) && v < Math.Pow(10, decade + 1)) / (double)lr.Count;
            Assert.InRange(share, 0.22, 0.28);
        }

        // log int 1 … 1024: each value owns the cell [v − ½, v + ½] in log scale, so values up to 32
        // get (ln 32.5 − ln 0.5)/(ln 1024.5 − ln 0.5) = 0.547 of the draws (a linear scale: 0.03).
        var width = trials.Select(t => int.Parse(t.Parameters["width"])).ToList();
        var small = width.Count(v => v <= 32) / (double)width.Count;
        Assert.InRange(small, 0.547 - 0.035, 0.547 + 0.035);
        Assert.Contains(1, width);
        Assert.Contains(width, v => v > 700);
    }

    [Fact]
    public void A_proposal_depends_only_on_seed_and_history()
    {
        var history = Run(new RandomSampler(9), 25, p => p["optimizer"].Length);
        foreach (ISampler sampler in new ISampler[] { new RandomSampler(5), new TpeSampler(5) })
        {
            var first = sampler.Propose(Space, StudyDirection.Minimize, history);
            var again = sampler.Propose(Space, StudyDirection.Minimize, history.ToList());

            Assert.Equal(first, again);
            Assert.NotEqual(first["lr"], sampler.Propose(Space, StudyDirection.Minimize, history.Take(24).ToList())["lr"]);
        }
        Assert.NotEqual(new TpeSampler(5).Propose(Space, StudyDirection.Minimize, history)["lr"],
            new TpeSampler(6).Propose(Space, StudyDirection.Minimize, history)["lr"]);
    }

    [Fact]
    public void Tpe_proposals_stay_in_range_and_on_the_grid()
    {
        var trials = Run(new TpeSampler(4), 60, p => double.Parse(p["smoothing"], System.Globalization.CultureInfo.InvariantCulture));

        Assert.All(trials, t => AssertValid(t.Parameters));
    }

    [Fact]
    public void Tpe_draws_at_random_until_ten_trials_have_finished()
    {
        var trials = new List<TrialRecord>();
        for (var n = 0; n < 9; n++)
            trials.Add(TrialHistory.Complete(n, n).WithParameters(new RandomSampler(0).Propose(Space, StudyDirection.Minimize, trials)));
        // Failed and running trials do not count towards the ten.
        trials.Add(TrialHistory.Failed(9));
        trials.Add(TrialHistory.Running(10));

        Assert.Equal(new RandomSampler(7).Propose(Space, StudyDirection.Minimize, trials),
            new TpeSampler(7).Propose(Space, StudyDirection.Minimize, trials));

        trials.Add(TrialHistory.Pruned(11, 3.0).WithParameters(trials[0].Parameters));
        Assert.NotEqual(new RandomSampler(7).Propose(Space, StudyDirection.Minimize, trials),
            new TpeSampler(7).Propose(Space, StudyDirection.Minimize, trials));
    }

    [Fact]
    public void The_sampler_names_the_cli_accepts_make_samplers_and_pruners()
    {
        Assert.IsType<TpeSampler>(Samplers.Create("tpe", 1));
        Assert.IsType<RandomSampler>(Samplers.Create("RANDOM", 1));
        Assert.IsType<MedianPruner>(Pruners.Create("median"));
        Assert.Null(Pruners.Create("none"));
        Assert.Equal("unknown sampler 'grid' (one of tpe, random)", Assert.Throws<VisionLabException>(() => Samplers.Create("grid", 1)).Message);
        Assert.Equal("unknown pruner 'hyperband' (one of median, none)", Assert.Throws<VisionLabException>(() => Pruners.Create("hyperband")).Message);
    }
}
