namespace VisionLab.Training.Metrics;

/// <summary>Counts of (true class, predicted class) pairs, and the per-class scores they give.</summary>
public sealed class ConfusionMatrix
{
    private readonly long[,] counts;

    public ConfusionMatrix(int classes) => counts = new long[classes, classes];

    public int Classes => counts.GetLength(0);

    public long this[int actual, int predicted] => counts[actual, predicted];

    public long Total { get; private set; }

    public void Add(ReadOnlySpan<long> actual, ReadOnlySpan<long> predicted)
    {
        for (int i = 0; i < actual.Length; i++) counts[actual[i], predicted[i]]++;
        Total += actual.Length;
    }

    public double Accuracy => Total == 0 ? 0 : (double)Enumerable.Range(0, Classes).Sum(c => counts[c, c]) / Total;

    public IReadOnlyList<ClassScores> PerClass(IReadOnlyList<string> names) =>
        Enumerable.Range(0, Classes).Select(c =>
        {
            long truePositives = counts[c, c];
            long predicted = Enumerable.Range(0, Classes).Sum(a => counts[a, c]);
            long actual = Enumerable.Range(0, Classes).Sum(p => counts[c, p]);
            double precision = predicted == 0 ? 0 : (double)truePositives / predicted;
            double recall = actual == 0 ? 0 : (double)truePositives / actual;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            return new ClassScores(names[c], precision, recall, f1, actual);
        }).ToArray();

    /// <summary>Images of class <paramref name="actual"/> (its row's sum): the support of its scores.</summary>
    public long Support(int actual)
    {
        long sum = 0;
        for (int p = 0; p < Classes; p++) sum += counts[actual, p];
        return sum;
    }

    /// <summary>Images predicted as class <paramref name="predicted"/> (its column's sum).</summary>
    public long PredictedCount(int predicted)
    {
        long sum = 0;
        for (int a = 0; a < Classes; a++) sum += counts[a, predicted];
        return sum;
    }

    /// <summary>
    /// The off-diagonal cells with the most images, largest first (ties in row, then column order):
    /// which true class the model most often takes for which other, and what share of the true
    /// class's images that is. Cells with no images are left out, so fewer than
    /// <paramref name="count"/> pairs come back from a model that makes few kinds of mistake.
    /// </summary>
    public IReadOnlyList<ConfusedPair> MostConfused(IReadOnlyList<string> names, int count)
    {
        if (names.Count < Classes) throw new ArgumentException($"{names.Count} class names for a {Classes}-class confusion matrix", nameof(names));
        var cells = new List<(int Actual, int Predicted, long Count)>();
        for (int a = 0; a < Classes; a++)
        for (int p = 0; p < Classes; p++)
            if (a != p && counts[a, p] > 0) cells.Add((a, p, counts[a, p]));
        return cells.OrderByDescending(c => c.Count).ThenBy(c => c.Actual).ThenBy(c => c.Predicted).Take(Math.Max(0, count))
            .Select(c => new ConfusedPair(names[c.Actual], names[c.Predicted], c.Count, (double)c.Count / Support(c.Actual)))
            .ToArray();
    }

    public long[][] ToRows() => Enumerable.Range(0, Classes)
        .Select(a => Enumerable.Range(0, Classes).Select(p => counts[a, p]).ToArray()).ToArray();
}

public sealed record ClassScores(string Class, double Precision, double Recall, double F1, long Support);

/// <summary>One kind of mistake: images of <see cref="TrueClass"/> predicted as <see cref="PredictedClass"/>,
/// how many, and their share of all images of the true class.</summary>
public sealed record ConfusedPair(string TrueClass, string PredictedClass, long Count, double ShareOfTrueClass);
