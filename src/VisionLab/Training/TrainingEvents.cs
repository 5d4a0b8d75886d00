namespace VisionLab.Training;

/// <summary>Where a training run stands after a batch, for progress displays.</summary>
public readonly record struct BatchProgress(
    int Epoch, int Epochs, int Batch, int Batches, double Loss, double Accuracy, double ImagesPerSecond);

/// <summary>The figures of one finished epoch. Epoch numbers count from 1. <paramref name="ElapsedSeconds"/>
/// is the run's wall-clock time when the epoch ended, counted across resumes (the time a run lay
/// stopped is not counted); 0 in checkpoints written before it was recorded.</summary>
public sealed record EpochResult(
    int Epoch, double LearningRate, double TrainLoss, double TrainAccuracy,
    double TestLoss, double TestAccuracy, double TrainSeconds, double TrainImagesPerSecond,
    double EvalSeconds, double ResidentMemoryMb, double ElapsedSeconds = 0);

/// <summary>
/// Behaviour that plugs into <see cref="Trainer"/>: checkpoints, run records, progress displays.
/// Every method has an empty default, so a callback implements only what it needs.
/// </summary>
public interface ITrainerCallback
{
    void OnTrainBegin(Trainer trainer) { }
    void OnBatchEnd(Trainer trainer, in BatchProgress progress) { }
    void OnEpochEnd(Trainer trainer, EpochResult result, EvaluationResult evaluation) { }
    void OnTrainEnd(Trainer trainer) { }
}
