namespace VisionLab.Explain;

/// <summary>
/// A deletion or insertion curve (Petsiuk et al., RISE, BMVC 2018): the class's probability after
/// each step, against the share of pixels removed (deletion) or restored (insertion) so far, from 0
/// to 1.
/// </summary>
public sealed record PerturbationCurve(IReadOnlyList<double> Fractions, IReadOnlyList<double> Probabilities)
{
    /// <summary>Area under the curve by the trapezoid rule over the fractions, in [0, 1]. Lower is
    /// better for deletion (the probability falls fast), higher for insertion.</summary>
    public double Area
    {
        get
        {
            double area = 0;
            for (int i = 1; i < Fractions.Count; i++)
                area += (Fractions[i] - Fractions[i - 1]) * (Probabilities[i] + Probabilities[i - 1]) / 2;
            return area;
        }
    }
}

/// <summary>
/// One ROAD curve (Rong et al., ICML 2022): per percentage of pixels removed and imputed, in the
/// order most relevant first (MoRF) or least relevant first (LeRF), the class's probability and
/// whether the class is still the model's top one. A faithful map makes MoRF fall fast and LeRF stay.
/// </summary>
public sealed record RoadCurve(IReadOnlyList<int> Percentages, IReadOnlyList<double> Probabilities, IReadOnlyList<bool> Correct)
{
    public double MeanProbability => Probabilities.Average();

    /// <summary>Share of percentages at which the class stays on top (for one image); averaged over
    /// images it is the paper's accuracy.</summary>
    public double Accuracy => Correct.Average(c => c ? 1.0 : 0.0);
}

/// <summary>
/// Every faithfulness figure of one saliency map for one image and class.
/// </summary>
/// <param name="Method">The explanation method's name (<c>gradcam</c>), to tell records apart.</param>
/// <param name="Probability">The class's probability on the unchanged image.</param>
/// <param name="MaskedProbability">Its probability on the image multiplied by the map scaled to
/// [0, 1] (Chattopadhay et al., Grad-CAM++, WACV 2018).</param>
public sealed record FaithfulnessScores(
    string Method,
    int ClassIndex,
    double Probability,
    PerturbationCurve Deletion,
    PerturbationCurve Insertion,
    RoadCurve MostRelevantFirst,
    RoadCurve LeastRelevantFirst,
    double MaskedProbability)
{
    public double DeletionAuc => Deletion.Area;

    public double InsertionAuc => Insertion.Area;

    /// <summary>Grad-CAM++'s drop in confidence, max(0, p − p_masked) / p, as a fraction (the paper
    /// prints its mean as a percentage): lower is better.</summary>
    public double Drop => Probability > 0 ? Math.Max(0, Probability - MaskedProbability) / Probability : 0;

    /// <summary>Grad-CAM++'s increase in confidence: the map alone raised the class's probability.</summary>
    public bool Increase => MaskedProbability > Probability;
}

/// <summary>Means of <see cref="FaithfulnessScores"/> over many images for one method: the numbers papers tabulate.</summary>
/// <param name="MostRelevantFirst">ROAD MoRF per percentage: the mean probability and the accuracy
/// (share of images whose class stays on top).</param>
/// <param name="AverageDrop">Mean drop in confidence, a fraction (×100 for the paper's percentage).</param>
/// <param name="IncreaseInConfidence">Share of images whose class's probability rose on the masked image.</param>
public sealed record FaithfulnessSummary(
    string Method,
    int Images,
    double DeletionAuc,
    double InsertionAuc,
    IReadOnlyList<int> RoadPercentages,
    IReadOnlyList<double> MostRelevantFirstProbability,
    IReadOnlyList<double> MostRelevantFirstAccuracy,
    IReadOnlyList<double> LeastRelevantFirstProbability,
    IReadOnlyList<double> LeastRelevantFirstAccuracy,
    double AverageDrop,
    double IncreaseInConfidence)
{
    /// <summary>ROAD MoRF accuracy averaged over the percentages: lower is better.</summary>
    public double MostRelevantFirstMean => MostRelevantFirstAccuracy.Average();

    /// <summary>ROAD LeRF accuracy averaged over the percentages: higher is better.</summary>
    public double LeastRelevantFirstMean => LeastRelevantFirstAccuracy.Average();

    /// <summary>
    /// The means over <paramref name="scores"/>, which must all be of one method and share the ROAD
    /// percentages (as one <see cref="FaithfulnessOptions"/> gives them).
    /// </summary>
    public static FaithfulnessSummary Of(IReadOnlyList<FaithfulnessScores> scores)
    {
        if (scores.Count == 0) throw new VisionLabException("a faithfulness summary needs the scores of at least one image");
        string method = scores[0].Method;
        if (scores.FirstOrDefault(s => s.Method != method) is { } other)
            throw new VisionLabException($"a faithfulness summary is of one method; got scores of '{method}' and '{other.Method}'");
        var percentages = scores[0].MostRelevantFirst.Percentages;
        if (scores.Any(s => !s.MostRelevantFirst.Percentages.SequenceEqual(percentages) || !s.LeastRelevantFirst.Percentages.SequenceEqual(percentages)))
            throw new VisionLabException($"the {method} scores do not share their ROAD percentages; measure every image with the same options");

        double[] Mean(Func<FaithfulnessScores, RoadCurve> curve, Func<RoadCurve, int, double> value) =>
            Enumerable.Range(0, percentages.Count).Select(i => scores.Average(s => value(curve(s), i))).ToArray();

        return new FaithfulnessSummary(
            method,
            scores.Count,
            scores.Average(s => s.DeletionAuc),
            scores.Average(s => s.InsertionAuc),
            percentages,
            Mean(s => s.MostRelevantFirst, (c, i) => c.Probabilities[i]),
            Mean(s => s.MostRelevantFirst, (c, i) => c.Correct[i] ? 1 : 0),
            Mean(s => s.LeastRelevantFirst, (c, i) => c.Probabilities[i]),
            Mean(s => s.LeastRelevantFirst, (c, i) => c.Correct[i] ? 1 : 0),
            scores.Average(s => s.Drop),
            scores.Average(s => s.Increase ? 1.0 : 0.0));
    }
}
