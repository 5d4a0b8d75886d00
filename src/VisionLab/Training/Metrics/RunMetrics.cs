namespace VisionLab.Training.Metrics;

/// <summary>The content of a run's <c>metrics.json</c>.</summary>
public sealed record RunMetrics
{
    public required string Model { get; init; }
    public required string Data { get; init; }
    public required long Parameters { get; init; }
    public required int EpochsCompleted { get; init; }
    public required double TestAccuracy { get; init; }
    public required double TestLoss { get; init; }
    public required double BestTestAccuracy { get; init; }
    public required int BestEpoch { get; init; }
    public required double TrainImagesPerSecond { get; init; }
    public required double TrainSeconds { get; init; }
    public required double WallSeconds { get; init; }
    public required double ResidentMemoryMbFirstEpoch { get; init; }
    public required double ResidentMemoryMbLastEpoch { get; init; }
    public required IReadOnlyList<EpochResult> History { get; init; }
    public required IReadOnlyList<ClassScores> PerClass { get; init; }
    public required IReadOnlyList<string> Classes { get; init; }
    public required long[][] ConfusionMatrix { get; init; }

    public static RunMetrics From(string model, string data, long parameters, IReadOnlyList<EpochResult> history,
        EvaluationResult last, IReadOnlyList<string> classes, double wallSeconds)
    {
        var best = history.MaxBy(h => h.TestAccuracy)!;
        double trainSeconds = history.Sum(h => h.TrainSeconds);
        double images = history.Sum(h => h.TrainImagesPerSecond * h.TrainSeconds);
        return new RunMetrics
        {
            Model = model,
            Data = data,
            Parameters = parameters,
            EpochsCompleted = history.Count,
            TestAccuracy = history[^1].TestAccuracy,
            TestLoss = history[^1].TestLoss,
            BestTestAccuracy = best.TestAccuracy,
            BestEpoch = best.Epoch,
            TrainImagesPerSecond = images / trainSeconds,
            TrainSeconds = trainSeconds,
            WallSeconds = wallSeconds,
            ResidentMemoryMbFirstEpoch = history[0].ResidentMemoryMb,
            ResidentMemoryMbLastEpoch = history[^1].ResidentMemoryMb,
            History = history,
            PerClass = last.Confusion.PerClass(classes),
            Classes = classes,
            ConfusionMatrix = last.Confusion.ToRows(),
        };
    }
}
