namespace VisionLab.Tuning;

/// <summary>
/// Smoothed category frequencies. Each observation is a kernel that puts weight 1 on the category
/// it used plus priorWeight/(n + 1) on every category; the prior kernel is uniform. The mixture of
/// these (Optuna's categorical estimator) collapses to one probability per category, which is all
/// that sampling and the density need.
/// </summary>
internal sealed class CategoricalParzenEstimator : ParzenEstimator
{
    private readonly double[] probabilities;

    public CategoricalParzenEstimator(CategoricalDistribution distribution, IReadOnlyList<double> observations, double priorWeight)
    {
        var choices = distribution.Choices.Count;
        var n = observations.Count;
        probabilities = new double[choices];
        if (n == 0)
        {
            Array.Fill(probabilities, 1.0 / choices);
            return;
        }

        var mixture = MixtureWeights(n, priorWeight);
        var smoothing = priorWeight / (n + 1);
        var rowTotal = choices * smoothing + 1.0;
        for (var i = 0; i < n; i++)
        {
            for (var c = 0; c < choices; c++)
                probabilities[c] += mixture[i] * smoothing / rowTotal;
            probabilities[(int)observations[i]] += mixture[i] / rowTotal;
        }
        for (var c = 0; c < choices; c++)
            probabilities[c] += mixture[n] / choices;
    }

    public override double Sample(TrialRandom random) => PickKernel(probabilities, random);

    public override double LogDensity(double value) => Math.Log(probabilities[(int)value]);
}
