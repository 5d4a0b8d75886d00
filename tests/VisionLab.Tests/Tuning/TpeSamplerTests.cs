using System.Globalization;
using VisionLab.Tuning;

namespace VisionLab.Tests.Tuning;

public class TpeSamplerTests
{
    // A synthetic tuning problem with a narrow optimum: a quadratic bowl in log10(lr) around 3e-3,
    // momentum near 0.85, batch near 96, and one right optimizer out of four.
    private static readonly SearchSpace Space = SearchSpace.Parse("""
        optimizer.lr: {type: loguniform, low: 1.0e-5, high: 1.0}
        optimizer.momentum: {type: uniform, low: 0.0, high: 1.0}
        batch_size: {type: int, low: 16, high: 256, step: 16}
        optimizer.name: {type: categorical, choices: [sgd, adam, rmsprop, adagrad]}
        """);

    /// <summary>The loss over whichever of the four parameters a space has.</summary>
    private static double Loss(IReadOnlyDictionary<string, string> p)
    {
        double Number(string key) => double.Parse(p[key], CultureInfo.InvariantCulture);
        var loss = 0.0;
        if (p.ContainsKey("optimizer.lr"))
            loss += Math.Pow(Math.Log10(Number("optimizer.lr")) + 2.5, 2);
        if (p.ContainsKey("optimizer.momentum"))
            loss += 4 * Math.Pow(Number("optimizer.momentum") - 0.85, 2);
        if (p.ContainsKey("batch_size"))
            loss += Math.Pow((Number("batch_size") - 96) / 80.0, 2);
        if (p.ContainsKey("optimizer.name"))
            loss += p["optimizer.name"] == "adam" ? 0 : 1;
        return loss;
    }

    private static List<TrialRecord> Optimize(ISampler sampler, int count, StudyDirection direction,
        Func<IReadOnlyDictionary<string, string>, double> objective, SearchSpace? space = null)
    {
        var trials = new List<TrialRecord>();
        for (var n = 0; n < count; n++)
        {
            var parameters = sampler.Propose(space ?? Space, direction, trials);
            trials.Add(TrialHistory.Complete(n, objective(parameters)).WithParameters(parameters));
        }
        return trials;
    }

    // Measured while writing this test (mean best of 40 trials): on the 2-D problem TPE/random was
    // 0.01–0.19 for five sets of 10 seeds; on the 4-D one 0.36–0.37 for sets of 20 seeds, and 0.30
    // against 0.83 over 100 seeds — Optuna 3.1's TPESampler on the same problem, patched with the
    // truncated-normal log(σ) term its later releases added, gave 0.36 against 0.77 over 100 seeds.
    // The bounds leave room for the seed-to-seed spread.
    [Theory]
    [InlineData("optimizer.lr optimizer.name", 10, 0.25)]
    [InlineData("optimizer.lr optimizer.momentum batch_size optimizer.name", 20, 0.6)]
    public void Tpe_finds_a_narrow_optimum_clearly_better_than_random_search(string keys, int seeds, double ratio)
    {
        const int trials = 40;
        var space = new SearchSpace(keys.Split(' ').Select(k => Space[k]));
        double tpe = 0, random = 0;
        for (var seed = 0; seed < seeds; seed++)
        {
            tpe += Optimize(new TpeSampler(seed), trials, StudyDirection.Minimize, Loss, space).Min(t => t.Value!.Value) / seeds;
            random += Optimize(new RandomSampler(seed), trials, StudyDirection.Minimize, Loss, space).Min(t => t.Value!.Value) / seeds;
        }

        Assert.True(tpe < ratio * random, $"mean best of {trials} trials over {seeds} seeds: TPE {tpe:F4}, random {random:F4}");
    }

    [Fact]
    public void Maximizing_the_negated_objective_makes_exactly_the_same_proposals()
    {
        var minimized = Optimize(new TpeSampler(3), 30, StudyDirection.Minimize, Loss);
        var maximized = Optimize(new TpeSampler(3), 30, StudyDirection.Maximize, p => -Loss(p));

        Assert.Equal(minimized.Select(t => t.Parameters), maximized.Select(t => t.Parameters));
        // and the direction matters: maximizing the loss itself heads elsewhere
        var wrongWay = Optimize(new TpeSampler(3), 30, StudyDirection.Maximize, Loss);
        Assert.True(wrongWay.Skip(10).Average(t => t.Value!.Value) > minimized.Skip(10).Average(t => t.Value!.Value) + 1);
    }

    [Fact]
    public void Gamma_takes_a_tenth_of_the_finished_trials_up_to_25()
    {
        Assert.Equal([0, 1, 1, 2, 3, 3, 4, 10, 25, 25], new[] { 0, 1, 10, 11, 21, 30, 31, 100, 250, 1000 }.Select(TpeSampler.Gamma));
    }

    [Fact]
    public void Pruned_trials_rank_after_complete_ones_by_depth_then_last_value()
    {
        // 2 complete + 19 pruned = 21 finished, so γ = 3: both complete trials and the best pruned one.
        var trials = new List<TrialRecord>
        {
            TrialHistory.Complete(0, 10.0),
            TrialHistory.Complete(1, 20.0),
            TrialHistory.Pruned(2, 1, 1, 1, 1, 9.0),   // pruned at step 4, last value 9
            TrialHistory.Pruned(3, 0.1, 0.1, 0.1),     // pruned at step 2: less deep, so worse despite 0.1
            TrialHistory.Pruned(4, 1, 1, 1, 1, 5.0),   // step 4, last value 5
            TrialHistory.Pruned(5),                    // pruned before reporting: last of all
            TrialHistory.Running(6, 0.0),
            TrialHistory.Failed(7),
        };
        for (var n = 8; n < 23; n++)
            trials.Add(TrialHistory.Pruned(n, 50.0));

        var (good, others) = TpeSampler.Split(trials, StudyDirection.Minimize, constantLiar: false);
        Assert.Equal([0, 1, 4], good.Select(t => t.Number));
        Assert.Equal(new[] { 2, 3, 5 }.Concat(Enumerable.Range(8, 15)), others.Select(t => t.Number));

        // Maximizing, the deeper pruned trial with the larger last value (9) is the better one.
        (good, _) = TpeSampler.Split(trials, StudyDirection.Maximize, constantLiar: false);
        Assert.Equal([0, 1, 2], good.Select(t => t.Number));

        // A constant liar counts the running trial among the others, never among the good.
        (good, others) = TpeSampler.Split(trials, StudyDirection.Minimize, constantLiar: true);
        Assert.Equal([0, 1, 4], good.Select(t => t.Number));
        Assert.Contains(others, t => t.Number == 6);
        Assert.DoesNotContain(others, t => t.Number == 7);
    }

    [Fact]
    public void Complete_trials_split_by_value_in_the_study_direction()
    {
        var trials = Enumerable.Range(0, 20).Select(n => TrialHistory.Complete(n, (n * 7) % 20)).ToList();

        // values 0, 7, 14, 1, 8, 15, 2, …: γ(20) = 2
        Assert.Equal([0, 3], TpeSampler.Split(trials, StudyDirection.Minimize, false).Good.Select(t => t.Number));
        Assert.Equal([14, 17], TpeSampler.Split(trials, StudyDirection.Maximize, false).Good.Select(t => t.Number)); // 18, 19
    }

    [Fact]
    public void Running_trials_do_not_change_a_default_proposal()
    {
        // Trial 5 still running, or failed: either way the next number is 20 and, as in Optuna,
        // TPE without a constant liar sees neither.
        var history = Optimize(new RandomSampler(1), 20, StudyDirection.Minimize, Loss);
        var running = history.Select(t => t.Number == 5 ? t with { State = TrialState.Running, Value = null } : t).ToList();
        var failed = history.Select(t => t.Number == 5 ? t with { State = TrialState.Failed, Value = null } : t).ToList();

        Assert.Equal(new TpeSampler(2).Propose(Space, StudyDirection.Minimize, failed),
            new TpeSampler(2).Propose(Space, StudyDirection.Minimize, running));
    }

    [Fact]
    public void Mixture_weights_ramp_down_old_observations_beyond_25()
    {
        Assert.Equal([1.0], ParzenEstimator.MixtureWeights(0, 1.0));
        Assert.Equal([0.25, 0.25, 0.25, 0.25], ParzenEstimator.MixtureWeights(3, 1.0));

        // 30 observations: linspace(1/30, 1, 5) for the 5 oldest, 1 for the newest 25, then the prior.
        var w = ParzenEstimator.MixtureWeights(30, 1.0);
        var raw = new[] { 1 / 30.0, 1 / 30.0 + (1 - 1 / 30.0) / 4, 1 / 30.0 + (1 - 1 / 30.0) / 2, 1 / 30.0 + 3 * (1 - 1 / 30.0) / 4, 1.0 };
        var total = raw.Sum() + 25 + 1;
        for (var i = 0; i < 5; i++)
            Assert.Equal(raw[i] / total, w[i], 12);
        Assert.All(w.Skip(5), x => Assert.Equal(1 / total, x, 12));
    }

    [Fact]
    public void Kernel_widths_follow_the_neighbour_gaps_with_optunas_endpoint_rule()
    {
        // Range 0…10, observations 2, 3, 9 and the prior at 5. Sorted centres with the range ends:
        // 0 | 2 3 5 9 | 10. Widths are the larger neighbour gap: 2→max(2,1), 3→max(1,2), 9→max(4,1),
        // but the lowest and highest centres take their inner gap: 2→1, 9→4. Clipped below at
        // 10/min(100, 1 + 4 kernels) = 2, so 2, 2, 4; the prior's width is the whole range, 10.
        var estimator = new NumericParzenEstimator(new FloatDistribution("x", 0, 10, log: false), [2, 3, 9], 1.0);

        Assert.Equal([2.0, 3, 9, 5], estimator.Centres);
        Assert.Equal([2.0, 2, 4, 10], estimator.Widths);
    }

    // Log densities from Optuna 3.1.0's _ParzenEstimator (prior weight 1, magic clip, no endpoints,
    // default weights) on the same observations, its truncated-normal log pdf patched with the
    // − log σ term that later Optuna releases include. Computed once by hand; Optuna is not a test
    // dependency.
    public static TheoryData<string, double[], double[], double[]> OptunaDensities => new()
    {
        { "{type: loguniform, low: 1.0e-5, high: 1.0}", [1e-3, 3e-3, 2e-2, 0.5, 3e-5], [1e-5, 1e-4, 2e-3, 4e-3, 0.1, 0.9],
            [-2.9353064218080496, -2.6251577283788325, -2.1488860212492638, -2.132414927175362, -2.504894299790026, -2.7556330932061863] },
        { "{type: uniform, low: 0, high: 1}", [0.1, 0.8, 0.82, 0.99], [0.0, 0.5, 0.81, 1.0],
            [-0.6467341190348933, -0.3024822177723554, 0.5224627481729429, 0.5339853089372488] },
        { "{type: uniform, low: 0, high: 1}", Enumerable.Range(0, 30).Select(i => 0.01 + i * 0.98 / 29).ToArray(), [0.0, 0.5, 0.81, 1.0],
            [-2.081301677350102, 0.06927578831306813, 0.06771355873801355, -0.10207533838089589] },
        { "{type: int, low: 16, high: 256, step: 16}", [32, 96, 96, 256, 112], [16, 96, 240, 256],
            [-3.0144904402894754, -2.233707909918018, -3.540867573095413, -3.5728661787195475] },
        { "{type: categorical, choices: [a, b, c, d]}", [1, 1, 3, 0], [0, 1, 2, 3],
            [-1.3862943611198904, -1.0185695809945732, -1.9740810260220094, -1.3862943611198906] },
    };

    [Theory]
    [MemberData(nameof(OptunaDensities))]
    public void Estimator_densities_match_optunas(string range, double[] observations, double[] points, double[] expected)
    {
        var estimator = ParzenEstimator.Fit(SearchSpace.Parse($"x: {range}").Parameters[0], observations, 1.0);

        for (var i = 0; i < points.Length; i++)
            Assert.Equal(expected[i], estimator.LogDensity(points[i]), 1e-12);
    }

    [Theory]
    [InlineData("{type: uniform, low: -1, high: 3}")]
    [InlineData("{type: loguniform, low: 1.0e-5, high: 1.0}")]
    [InlineData("{type: int, low: 16, high: 256, step: 16}")]
    [InlineData("{type: int, low: 1, high: 300, log: true}")]
    [InlineData("{type: categorical, choices: [a, b, c, d]}")]
    public void An_estimator_is_a_normalized_density_and_samples_follow_it(string range)
    {
        var parameter = SearchSpace.Parse($"x: {range}").Parameters[0];
        var random = new TrialRandom(11, 0);
        var observations = Enumerable.Range(0, 12).Select(_ => parameter.SampleUniform(random)).ToList();
        var estimator = ParzenEstimator.Fit(parameter, observations, 1.0);

        if (parameter is NumericDistribution { GridStep: 0 } continuous)
        {
            // ∫ density d(kernel space) = 1, by the midpoint rule on a fine grid
            double low = continuous.KernelLow, high = continuous.KernelHigh, total = 0;
            const int cells = 20_000;
            for (var i = 0; i < cells; i++)
            {
                var t = low + (i + 0.5) * (high - low) / cells;
                total += Math.Exp(estimator.LogDensity(continuous.IsLog ? Math.Exp(t) : t)) * (high - low) / cells;
            }
            Assert.Equal(1.0, total, 4);
            return;
        }

        var values = parameter is IntDistribution grid
            ? Enumerable.Range(0, (int)((grid.High - grid.Low) / grid.Step) + 1).Select(k => (double)(grid.Low + k * grid.Step)).ToList()
            : Enumerable.Range(0, ((CategoricalDistribution)parameter).Choices.Count).Select(k => (double)k).ToList();
        var probabilities = values.ToDictionary(v => v, v => Math.Exp(estimator.LogDensity(v)));
        Assert.Equal(1.0, probabilities.Values.Sum(), 9);

        const int draws = 20_000;
        var counts = new Dictionary<double, int>();
        for (var i = 0; i < draws; i++)
        {
            var v = estimator.Sample(random);
            counts[v] = counts.GetValueOrDefault(v) + 1;
        }
        Assert.All(counts.Keys, v => Assert.Contains(v, probabilities.Keys));
        foreach (var (v, p) in probabilities)
            Assert.InRange(counts.GetValueOrDefault(v) / (double)draws, p - 0.012, p + 0.012);
    }
}
