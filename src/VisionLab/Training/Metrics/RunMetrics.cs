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
    /// <summary>Wall-clock seconds from the start of training to the end of the last epoch,
    /// across resumes (see <see cref="EpochResult.ElapsedSeconds"/>).</summary>
    public required double WallSeconds { get; init; }
    public required double ResidentMemoryMbFirstEpoch { get; init; }
    public required double ResidentMemoryMbLastEpoch { get; init; }
    public required IReadOnlyList<EpochResult> History { get; init; }
    public required IReadOnlyList<ClassScores> PerClass { get; init; }
    public required IReadOnlyList<string> Classes { get; init; }
    public required long[][] ConfusionMatrix { get; init; }

    /// <summary>Top-5 accuracy of the last evaluation (k = <see cref="TopK"/>: 5, or the number of
    /// classes when fewer); null when that evaluation did not measure it.</summary>
    public double? Top5Accuracy { get; init; }

    public int? TopK { get; init; }

    /// <summary>Mean of the per-class F1 scores of the last evaluation (see <see cref="ClassificationReport"/>).</summary>
    public double? MacroF1 { get; init; }

    /// <summary>The last evaluation's most frequent mistakes, most frequent first.</summary>
    public IReadOnlyList<ConfusedPair>? MostConfused { get; init; }

    /// <summary>How many confused pairs metrics.json lists.</summary>
    public const int MostConfusedPairs = 10;

    public static RunMetrics From(string model, string data, long parameters, IReadOnlyList<EpochResult> history,
        EvaluationResult last, IReadOnlyList<string> classes)
    {
        var best = history.MaxBy(h => h.TestAccuracy)!;
        var report = ClassificationReport.From(last.Confusion, classes);
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
            WallSeconds = history[^1].ElapsedSeconds,
            ResidentMemoryMbFirstEpoch = history[0].ResidentMemoryMb,
            ResidentMemoryMbLastEpoch = history[^1].ResidentMemoryMb,
            History = history,
            PerClass = report.PerClass,
            Classes = classes,
            ConfusionMatrix = last.Confusion.ToRows(),
            Top5Accuracy = last.TopK > 0 ? last.Top5Accuracy : null,
            TopK = last.TopK > 0 ? last.TopK : null,
            MacroF1 = report.MacroAverage.F1,
            MostConfused = last.Confusion.MostConfused(classes, MostConfusedPairs),
        };
    }
}
