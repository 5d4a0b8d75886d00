namespace VisionLab.Tuning;

/// <summary>
/// Gaussian kernels in the parameter's kernel space (the log of the value for log ranges), each
/// truncated to the range. Kernel widths follow the TPE paper as Optuna implements it: a kernel
/// is as wide as the larger gap to its neighbours (the outermost ones use their inner gap), clipped
/// between range/min(100, 1 + kernels) and the whole range; the prior kernel sits in the middle
/// with the whole range as its width. On a step grid a value's probability is its kernel mass over
/// the value's cell [x − step/2, x + step/2].
/// </summary>
internal sealed class NumericParzenEstimator : ParzenEstimator
{
    private readonly NumericDistribution distribution;
    private readonly double low;
    private readonly double high;
    private readonly double[] mus;
    private readonly double[] sigmas;
    private readonly double[] weights;
    private readonly double[] logWeights;
    private readonly double[] logNormalizers; // log of each kernel's mass inside [low, high]

    public NumericParzenEstimator(NumericDistribution distribution, IReadOnlyList<double> observations, double priorWeight)
    {
        this.distribution = distribution;
        low = distribution.KernelLow;
        high = distribution.KernelHigh;
        var n = observations.Count;
        var prior = 0.5 * (low + high);

        mus = new double[n + 1];
        for (var i = 0; i < n; i++)
            mus[i] = distribution.ToKernel(observations[i]);
        mus[n] = prior;
        sigmas = new double[n + 1];
        if (n > 0)
            ObservationWidths(mus, low, high).AsSpan(0, n).CopyTo(sigmas);
        var minSigma = (high - low) / Math.Min(100.0, 1.0 + (n + 1));
        for (var i = 0; i < n; i++)
            sigmas[i] = Math.Clamp(sigmas[i], minSigma, high - low);
        sigmas[n] = high - low;

        weights = MixtureWeights(n, priorWeight);
        logWeights = weights.Select(w => Math.Log(w)).ToArray();
        logNormalizers = new double[n + 1];
        for (var k = 0; k <= n; k++)
            logNormalizers[k] = GaussianMath.LogMass((low - mus[k]) / sigmas[k], (high - mus[k]) / sigmas[k]);
    }

    /// <summary>The kernel centres in kernel space, the observations' first and the prior's last.</summary>
    internal IReadOnlyList<double> Centres => mus;

    /// <summary>The kernel widths (standard deviations), in the order of <see cref="Centres"/>.</summary>
    internal IReadOnlyList<double> Widths => sigmas;

    /// <summary>
    /// Each kernel's width before clipping: the larger of the gaps to its neighbours among all
    /// centres (the prior's included) and the range ends; the lowest and highest centres take the
    /// gap to their inner neighbour instead (Optuna's consider_endpoints = false).
    /// </summary>
    private static double[] ObservationWidths(double[] centres, double low, double high)
    {
        var m = centres.Length;
        // A stable order, so tied centres get their widths in trial order.
        var order = Enumerable.Range(0, m).OrderBy(i => centres[i]).ThenBy(i => i).ToArray();
        var points = new double[m + 2];
        points[0] = low;
        for (var r = 0; r < m; r++)
            points[r + 1] = centres[order[r]];
        points[m + 1] = high;

        var sorted = new double[m];
        for (var r = 0; r < m; r++)
            sorted[r] = Math.Max(points[r + 1] - points[r], points[r + 2] - points[r + 1]);
        if (m >= 2)
        {
            sorted[0] = points[2] - points[1];
            sorted[m - 1] = points[m] - points[m - 1];
        }

        var widths = new double[m];
        for (var r = 0; r < m; r++)
            widths[order[r]] = sorted[r];
        return widths;
    }

    public override double Sample(TrialRandom random)
    {
        var k = PickKernel(weights, random);
        return distribution.FromKernel(TruncatedNormal(mus[k], sigmas[k], random));
    }

    // Rejection sampling: every centre lies inside [low, high] and no width exceeds the range, so
    // at least Φ(1) − ½ ≈ 34 % of draws land inside and the loop ends after a few tries.
    private double TruncatedNormal(double mu, double sigma, TrialRandom random)
    {
        for (var attempt = 0; attempt < 10_000; attempt++)
        {
            var x = mu + sigma * random.NextGaussian();
            if (x >= low && x <= high)
                return x;
        }
        return Math.Clamp(mu, low, high);
    }

    public override double LogDensity(double value)
    {
        var step = distribution.GridStep;
        double left = 0, right = 0, t = 0;
        if (step > 0)
        {
            left = distribution.ToKernel(value - step / 2);
            right = distribution.ToKernel(value + step / 2);
        }
        else
        {
            t = distribution.ToKernel(value);
        }

        var terms = new double[mus.Length];
        for (var k = 0; k < mus.Length; k++)
        {
            var logKernel = step > 0
                ? GaussianMath.LogMass((left - mus[k]) / sigmas[k], (right - mus[k]) / sigmas[k])
                : GaussianMath.LogPdf((t - mus[k]) / sigmas[k]) - Math.Log(sigmas[k]);
            terms[k] = logWeights[k] + logKernel - logNormalizers[k];
        }
        return LogSumExp(terms);
    }

    private static double LogSumExp(double[] terms)
    {
        var max = terms.Max();
        if (double.IsNegativeInfinity(max))
            return max;
        var sum = 0.0;
        foreach (var term in terms)
            sum += Math.Exp(term - max);
        return max + Math.Log(sum);
    }
}
