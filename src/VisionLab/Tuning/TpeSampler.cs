namespace VisionLab.Tuning;

/// <summary>
/// Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio &amp; Kégl, "Algorithms for
/// Hyper-Parameter Optimization", NeurIPS 2011), with Optuna's defaults. The finished trials are
/// split into the γ(n) = min(⌈n/10⌉, 25) best, "good", and the rest; each parameter gets one
/// Parzen estimator over the good trials' values, l(x), and one over the rest, g(x). The next
/// value is, of 24 candidates drawn from l, the one with the largest l(x)/g(x) — the paper shows
/// this maximizes expected improvement. Parameters are sampled independently of each other.
/// The first trials (10 by default) are drawn at random, as TPE has nothing to fit yet.
/// </summary>
/// <remarks>
/// Trial states, as Optuna treats them: complete trials rank by value; pruned trials count too,
/// ranked after every complete trial by how far they got and then their last intermediate value
/// (a trial pruned at epoch 8 was better than one pruned at epoch 2); failed trials are ignored.
/// Running trials are ignored by default, as in Optuna; with <c>constantLiar</c> they join the
/// "rest" as if they had finished badly, which pushes concurrent workers apart (Optuna's
/// <c>constant_liar</c>, useful with many workers). Even without it, concurrent workers do not
/// propose the same point: each proposal's random numbers depend on its trial number.
/// </remarks>
public sealed class TpeSampler : ISampler
{
    public TpeSampler(long seed, int startupTrials = 10, int candidates = 24, double priorWeight = 1.0, bool constantLiar = false)
    {
        if (startupTrials < 0)
            throw new VisionLabException($"TPE: startup trials must not be negative (got {startupTrials})");
        if (candidates < 1)
            throw new VisionLabException($"TPE: candidates must be at least 1 (got {candidates})");
        if (!(priorWeight > 0) || double.IsInfinity(priorWeight))
            throw new VisionLabException($"TPE: prior weight must be a positive number (got {priorWeight})");
        Seed = seed;
        StartupTrials = startupTrials;
        Candidates = candidates;
        PriorWeight = priorWeight;
        ConstantLiar = constantLiar;
    }

    public long Seed { get; }
    public int StartupTrials { get; }
    public int Candidates { get; }
    public double PriorWeight { get; }
    public bool ConstantLiar { get; }

    public IReadOnlyDictionary<string, string> Propose(SearchSpace space, StudyDirection direction, IReadOnlyList<TrialRecord> trials)
    {
        var random = new TrialRandom(Seed, ISampler.NextNumber(trials));
        var finished = trials.Count(t => TrialRanking.HasRankableValue(t) || t.State == TrialState.Pruned);
        if (finished < StartupTrials)
            return RandomSampler.Draw(space, random);

        var (good, others) = Split(trials, direction, ConstantLiar);
        var proposal = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var parameter in space.Parameters)
        {
            var l = ParzenEstimator.Fit(parameter, Observations(good, parameter), PriorWeight);
            var g = ParzenEstimator.Fit(parameter, Observations(others, parameter), PriorWeight);
            proposal[parameter.Key] = parameter.Format(MostPromising(l, g, random));
        }
        return proposal;
    }

    /// <summary>Of <see cref="Candidates"/> draws from l, the first with the largest log l(x) − log g(x).</summary>
    private double MostPromising(ParzenEstimator l, ParzenEstimator g, TrialRandom random)
    {
        var candidates = new double[Candidates];
        for (var i = 0; i < candidates.Length; i++)
            candidates[i] = l.Sample(random);
        var best = candidates[0];
        var bestScore = double.NegativeInfinity;
        foreach (var x in candidates)
        {
            var score = l.LogDensity(x) - g.LogDensity(x);
            if (score > bestScore)
            {
                best = x;
                bestScore = score;
            }
        }
        return best;
    }

    /// <summary>γ(n) = min(⌈n/10⌉, 25), the number of "good" trials among n finished ones.</summary>
    internal static int Gamma(int finished) => Math.Min((finished + 9) / 10, 25);

    /// <summary>
    /// The good trials (the γ(n) best complete ones, topped up with the best pruned ones when too
    /// few completed) and the rest (with running trials when lying), each in trial-number order —
    /// the order the mixture weights expect, oldest first.
    /// </summary>
    internal static (List<TrialRecord> Good, List<TrialRecord> Others) Split(
        IReadOnlyList<TrialRecord> trials, StudyDirection direction, bool constantLiar)
    {
        var complete = trials.Where(TrialRanking.HasRankableValue)
            .OrderBy(t => TrialRanking.Loss(t.Value!.Value, direction)).ThenBy(t => t.Number).ToList();
        var pruned = trials.Where(t => t.State == TrialState.Pruned)
            .OrderBy(t => TrialRanking.PrunedKey(t, direction)).ThenBy(t => t.Number).ToList();

        var wanted = Gamma(complete.Count + pruned.Count);
        var goodComplete = Math.Min(wanted, complete.Count);
        var goodPruned = Math.Min(wanted - goodComplete, pruned.Count);

        var good = complete.Take(goodComplete).Concat(pruned.Take(goodPruned)).OrderBy(t => t.Number).ToList();
        var rest = complete.Skip(goodComplete).Concat(pruned.Skip(goodPruned))
            .Concat(constantLiar ? trials.Where(t => t.State == TrialState.Running) : [])
            .OrderBy(t => t.Number).ToList();
        return (good, rest);
    }

    /// <summary>The parameter's values in these trials, skipping trials without a valid one.</summary>
    private static List<double> Observations(List<TrialRecord> trials, ParameterDistribution parameter)
    {
        var values = new List<double>(trials.Count);
        foreach (var trial in trials)
        {
            if (trial.Parameters.TryGetValue(parameter.Key, out var text) && parameter.TryParse(text, out var value))
                values.Add(value);
        }
        return values;
    }
}
