namespace VisionLab.Training.Metrics;

/// <summary>
/// Per-class precision, recall, F1 and support with their macro and weighted averages, as
/// scikit-learn's <c>classification_report</c> and torchmetrics' multiclass scores define them:
/// <list type="bullet">
/// <item>precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2·P·R / (P + R), support = TP + FN;
/// a ratio whose denominator is 0 counts as 0 (sklearn's <c>zero_division=0</c>, torchmetrics'
/// default <c>zero_division=0</c>).</item>
/// <item>macro average: the plain mean of the per-class scores (macro F1 is the mean of the F1s, not
/// the F1 of the mean precision and recall), over the classes that occur among the true or the
/// predicted labels — sklearn's default label set (<c>unique_labels(y_true, y_pred)</c>) and
/// torchmetrics' weights of 0 for classes with TP + FP + FN = 0. A class with nothing to score does
/// not pull the mean down.</item>
/// <item>weighted average: the per-class scores weighted by support (Σ support·score / Σ support).</item>
/// </list>
/// Accuracy is sklearn's "accuracy" row (for single-label multiclass data it is also the micro
/// average of precision, recall and F1).
/// </summary>
public sealed record ClassificationReport(IReadOnlyList<ClassScores> PerClass, AverageScores MacroAverage,
    AverageScores WeightedAverage, double Accuracy, long Support)
{
    public static ClassificationReport From(ConfusionMatrix confusion, IReadOnlyList<string> names)
    {
        if (names.Count < confusion.Classes)
            throw new ArgumentException($"{names.Count} class names for a {confusion.Classes}-class confusion matrix", nameof(names));
        var perClass = confusion.PerClass(names);
        var scored = Enumerable.Range(0, confusion.Classes)
            .Where(c => confusion.Support(c) > 0 || confusion.PredictedCount(c) > 0)
            .Select(c => perClass[c]).ToArray();
        long support = perClass.Sum(s => s.Support);
        var macro = new AverageScores(
            Mean(scored, s => s.Precision), Mean(scored, s => s.Recall), Mean(scored, s => s.F1), support);
        var weighted = new AverageScores(
            Weighted(perClass, s => s.Precision, support), Weighted(perClass, s => s.Recall, support),
            Weighted(perClass, s => s.F1, support), support);
        return new ClassificationReport(perClass, macro, weighted, confusion.Accuracy, support);
    }

    private static double Mean(IReadOnlyList<ClassScores> scores, Func<ClassScores, double> score) =>
        scores.Count == 0 ? 0 : scores.Sum(score) / scores.Count;

    private static double Weighted(IReadOnlyList<ClassScores> scores, Func<ClassScores, double> score, long support) =>
        support == 0 ? 0 : scores.Sum(s => s.Support * score(s)) / support;
}

/// <summary>An average of the per-class scores, over <see cref="Support"/> images in all.</summary>
public sealed record AverageScores(double Precision, double Recall, double F1, long Support);
