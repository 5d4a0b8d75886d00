using VisionLab.Training.Metrics;

namespace VisionLab.Tests.Training.Evaluation;

/// <summary>
/// Precision, recall, F1, support and their averages on hand-made confusion matrices, against
/// scikit-learn's definitions (<c>precision_recall_fscore_support</c>, <c>classification_report</c>):
/// P = TP / (TP + FP), R = TP / (TP + FN), F1 = 2·TP / (2·TP + FP + FN), support = TP + FN; macro =
/// mean over the labels in y_true ∪ y_pred; weighted = Σ support·score / Σ support; 0 where a
/// denominator is 0 (zero_division=0).
/// </summary>
public class ClassificationReportTests
{
    private static readonly string[] Animals = ["cat", "dog", "bird"];

    /// <summary>A confusion matrix from its rows (true class) and columns (predicted class).</summary>
    private static ConfusionMatrix FromRows(long[][] rows)
    {
        var matrix = new ConfusionMatrix(rows.Length);
        var actual = new List<long>();
        var predicted = new List<long>();
        for (int a = 0; a < rows.Length; a++)
        for (int p = 0; p < rows.Length; p++)
        for (long n = 0; n < rows[a][p]; n++)
        {
            actual.Add(a);
            predicted.Add(p);
        }
        matrix.Add(actual.ToArray(), predicted.ToArray());
        return matrix;
    }

    //            predicted: cat dog bird   support
    // true cat              5   2   1       8
    //      dog              1   3   0       4
    //      bird             0   2   2       4
    // column sums (TP + FP): 6   7   3
    private static ConfusionMatrix Pets() => FromRows([[5, 2, 1], [1, 3, 0], [0, 2, 2]]);

    [Fact]
    public void Per_class_scores_follow_sklearns_formulas()
    {
        var report = ClassificationReport.From(Pets(), Animals);

        // cat: TP 5, FP 1, FN 3.  dog: TP 3, FP 4, FN 1.  bird: TP 2, FP 1, FN 2.
        double[] precision = [5.0 / 6, 3.0 / 7, 2.0 / 3];
        double[] recall = [5.0 / 8, 3.0 / 4, 2.0 / 4];
        double[] f1 = [10.0 / (10 + 1 + 3), 6.0 / (6 + 4 + 1), 4.0 / (4 + 1 + 2)];
        long[] support = [8, 4, 4];
        for (int c = 0; c < 3; c++)
        {
            var s = report.PerClass[c];
            Assert.Equal(Animals[c], s.Class);
            Assert.Equal(precision[c], s.Precision, 12);
            Assert.Equal(recall[c], s.Recall, 12);
            Assert.Equal(f1[c], s.F1, 12);
            Assert.Equal(support[c], s.Support);
        }
        Assert.Equal(10.0 / 16, report.Accuracy, 12);
        Assert.Equal(16, report.Support);
    }

    [Fact]
    public void Macro_is_the_plain_mean_and_weighted_the_support_weighted_mean()
    {
        var report = ClassificationReport.From(Pets(), Animals);

        Assert.Equal((5.0 / 6 + 3.0 / 7 + 2.0 / 3) / 3, report.MacroAverage.Precision, 12);
        Assert.Equal((5.0 / 8 + 3.0 / 4 + 2.0 / 4) / 3, report.MacroAverage.Recall, 12);
        // Macro F1 is the mean of the F1s, not the F1 of the mean precision and recall.
        Assert.Equal((10.0 / 14 + 6.0 / 11 + 4.0 / 7) / 3, report.MacroAverage.F1, 12);
        Assert.Equal(8 * 5.0 / 6 / 16 + 4 * 3.0 / 7 / 16 + 4 * 2.0 / 3 / 16, report.WeightedAverage.Precision, 12);
        // Support-weighted recall is TP summed over all images: the accuracy.
        Assert.Equal(10.0 / 16, report.WeightedAverage.Recall, 12);
        Assert.Equal((8 * 10.0 / 14 + 4 * 6.0 / 11 + 4 * 4.0 / 7) / 16, report.WeightedAverage.F1, 12);
        Assert.Equal(16, report.MacroAverage.Support);
        Assert.Equal(16, report.WeightedAverage.Support);
    }

    [Fact]
    public void Zero_divisions_count_as_zero_and_classes_absent_from_truth_and_predictions_leave_the_macro_mean()
    {
        //            a  b  c  d
        // true a     3  0  1  0    support 4
        //      b     2  0  0  0    support 2, never predicted: precision 0/0 -> 0
        //      c     0  0  0  0    no support but predicted once: recall 0/0 -> 0, precision 0/1
        //      d     0  0  0  0    neither true nor predicted: all 0, and not in sklearn's label set
        var matrix = FromRows([[3, 0, 1, 0], [2, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]);

        var report = ClassificationReport.From(matrix, ["a", "b", "c", "d"]);

        var a = report.PerClass[0];
        Assert.Equal(3.0 / 5, a.Precision, 12);
        Assert.Equal(3.0 / 4, a.Recall, 12);
        Assert.Equal(6.0 / (6 + 2 + 1), a.F1, 12);
        foreach (var empty in report.PerClass.Skip(1))
        {
            Assert.Equal(0, empty.Precision);
            Assert.Equal(0, empty.Recall);
            Assert.Equal(0, empty.F1);
        }
        // sklearn: y_true = [a a a a b b], y_pred = [a a a c a a]; labels = {a, b, c}.
        Assert.Equal(3.0 / 5 / 3, report.MacroAverage.Precision, 12);
        Assert.Equal(3.0 / 4 / 3, report.MacroAverage.Recall, 12);
        Assert.Equal(6.0 / 9 / 3, report.MacroAverage.F1, 12);
        Assert.Equal(4 * 3.0 / 5 / 6, report.WeightedAverage.Precision, 12);
        Assert.Equal(4 * 3.0 / 4 / 6, report.WeightedAverage.Recall, 12);
        Assert.Equal(4 * 6.0 / 9 / 6, report.WeightedAverage.F1, 12);
        Assert.Equal(0.5, report.Accuracy, 12);
    }

    [Fact]
    public void An_empty_matrix_scores_zero_everywhere()
    {
        var report = ClassificationReport.From(new ConfusionMatrix(3), Animals);

        Assert.All(report.PerClass, s => Assert.Equal((0.0, 0.0, 0.0, 0L), (s.Precision, s.Recall, s.F1, s.Support)));
        Assert.Equal(new AverageScores(0, 0, 0, 0), report.MacroAverage);
        Assert.Equal(new AverageScores(0, 0, 0, 0), report.WeightedAverage);
        Assert.Empty(new ConfusionMatrix(3).MostConfused(Animals, 5));
    }

    [Fact]
    public void Most_confused_pairs_are_the_largest_off_diagonal_cells_with_their_share_of_the_true_class()
    {
        var pairs = Pets().MostConfused(Animals, 10);

        // Off the diagonal: cat->dog 2, cat->bird 1, dog->cat 1, bird->dog 2; ties in row order.
        Assert.Equal(new[]
        {
            new ConfusedPair("cat", "dog", 2, 2.0 / 8), new ConfusedPair("bird", "dog", 2, 2.0 / 4),
            new ConfusedPair("cat", "bird", 1, 1.0 / 8), new ConfusedPair("dog", "cat", 1, 1.0 / 4),
        }, pairs);
        Assert.Equal(pairs.Take(2), Pets().MostConfused(Animals, 2));
    }

    [Fact]
    public void Too_few_class_names_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => ClassificationReport.From(Pets(), ["cat", "dog"]));
        Assert.Contains("2 class names for a 3-class", e.Message);
    }
}
