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

    public long[][] ToRows() => Enumerable.Range(0, Classes)
        .Select(a => Enumerable.Range(0, Classes).Select(p => counts[a, p]).ToArray()).ToArray();
}

public sealed record ClassScores(string Class, double Precision, double Recall, double F1, long Support);
