namespace VisionLab.Tuning;

/// <summary>
/// A Parzen estimator (kernel density) of one parameter, fitted to the values that a group of
/// trials used: TPE fits one to the good trials, l(x), and one to the rest, g(x) (Bergstra et al.
/// 2011, "Algorithms for Hyper-Parameter Optimization", §4). Besides one kernel per observation it
/// holds a prior kernel spanning the whole range, so an estimator fitted to a handful of trials
/// still gives every value some density.
/// </summary>
internal abstract class ParzenEstimator
{
    /// <summary>Draws a value (the sampler's number: a value, or a category index).</summary>
    public abstract double Sample(TrialRandom random);

    /// <summary>The log density (log probability for grid values and categories) of a value.</summary>
    public abstract double LogDensity(double value);

    /// <param name="observations">Values in trial-number order, oldest first.</param>
    public static ParzenEstimator Fit(ParameterDistribution distribution, IReadOnlyList<double> observations, double priorWeight) =>
        distribution switch
        {
            NumericDistribution numeric => new NumericParzenEstimator(numeric, observations, priorWeight),
            CategoricalDistribution categorical => new CategoricalParzenEstimator(categorical, observations, priorWeight),
            _ => throw new InvalidOperationException($"no Parzen estimator for {distribution.GetType().Name}"),
        };

    /// <summary>
    /// The mixture weight of each kernel, the prior's last, summing to 1. Optuna's default: every
    /// observation weighs 1 up to 25 of them; beyond that the older ones ramp linearly from 1/n
    /// up to 1 and the newest 25 keep 1, so that a long history slowly forgets its early trials.
    /// </summary>
    public static double[] MixtureWeights(int observations, double priorWeight)
    {
        if (observations == 0)
            return [1.0];
        var weights = new double[observations + 1];
        var ramp = Math.Max(0, observations - 25);
        for (var i = 0; i < observations; i++)
            weights[i] = i >= ramp ? 1.0 : Linspace(1.0 / observations, 1.0, ramp, i);
        weights[observations] = priorWeight;
        var total = weights.Sum();
        for (var i = 0; i < weights.Length; i++)
            weights[i] /= total;
        return weights;
    }

    // NumPy's linspace(start, stop, count)[index]: count evenly spaced points, both ends included.
    private static double Linspace(double start, double stop, int count, int index) =>
        count == 1 ? start : start + index * (stop - start) / (count - 1);

    /// <summary>Picks a kernel with probability equal to its weight.</summary>
    protected static int PickKernel(double[] weights, TrialRandom random)
    {
        var u = random.NextDouble();
        var cumulative = 0.0;
        for (var k = 0; k < weights.Length - 1; k++)
        {
            cumulative += weights[k];
            if (u < cumulative)
                return k;
        }
        return weights.Length - 1;
    }
}
