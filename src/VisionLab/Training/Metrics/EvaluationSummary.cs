namespace VisionLab.Training.Metrics;

/// <summary>
/// The content of <c>evaluation.json</c>: one model measured on one split — top-1 and top-5
/// accuracy, the classification report (per class and averaged, see <see cref="ClassificationReport"/>),
/// the confusion matrix and its most frequent mistakes, and every misclassified image.
/// </summary>
public sealed record EvaluationSummary
{
    public required string Model { get; init; }
    public required string Data { get; init; }
    public required long Images { get; init; }
    public required double Loss { get; init; }
    public required double Top1Accuracy { get; init; }

    /// <summary>Top-k accuracy with k = <see cref="TopK"/> (5, or the number of classes when fewer).</summary>
    public required double Top5Accuracy { get; init; }

    public required int TopK { get; init; }
    public required IReadOnlyList<ClassScores> PerClass { get; init; }
    public required AverageScores MacroAverage { get; init; }
    public required AverageScores WeightedAverage { get; init; }
    public required IReadOnlyList<ConfusedPair> MostConfused { get; init; }
    public required IReadOnlyList<string> Classes { get; init; }
    public required long[][] ConfusionMatrix { get; init; }

    /// <summary>Every misclassified image, in split order.</summary>
    public required IReadOnlyList<MisclassifiedImage> Misclassified { get; init; }

    /// <summary>Split indices of the images in <c>misclassified.png</c>, in grid order (most confident first).</summary>
    public required IReadOnlyList<int> MisclassifiedShown { get; init; }

    public required double Seconds { get; init; }

    /// <summary>The test-time augmentation the scores came from (<c>hflip</c>: each image averaged with
    /// its mirror); null for single-view scores.</summary>
    public string? TestTimeAugmentation { get; init; }

    /// <summary>How many confused pairs are listed unless told otherwise.</summary>
    public const int DefaultMostConfused = 10;

    public static EvaluationSummary From(EvaluationResult result, IReadOnlyList<string> classes, string model, string data,
        int mostConfused = DefaultMostConfused)
    {
        var report = ClassificationReport.From(result.Confusion, classes);
        return new EvaluationSummary
        {
            Model = model,
            Data = data,
            Images = result.Confusion.Total,
            Loss = result.Loss,
            Top1Accuracy = result.Accuracy,
            Top5Accuracy = result.Top5Accuracy,
            TopK = result.TopK,
            PerClass = report.PerClass,
            MacroAverage = report.MacroAverage,
            WeightedAverage = report.WeightedAverage,
            MostConfused = result.Confusion.MostConfused(classes, mostConfused),
            Classes = classes,
            ConfusionMatrix = result.Confusion.ToRows(),
            Misclassified = [.. result.Misclassified.Select(m => new MisclassifiedImage(m.Index, classes[m.TrueClass],
                classes[m.PredictedClass], m.TrueProbability, m.PredictedProbability))],
            MisclassifiedShown = [.. result.MisclassifiedExamples.Select(e => e.Mistake.Index)],
            Seconds = result.Seconds,
        };
    }
}

/// <summary>A misclassified image by class name, as <c>evaluation.json</c> lists it.</summary>
public sealed record MisclassifiedImage(int Index, string TrueClass, string PredictedClass, float TrueProbability,
    float PredictedProbability);
