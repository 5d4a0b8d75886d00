using VisionLab.Runs;

namespace VisionLab.Training.Callbacks;

/// <summary>Writes <c>last.ckpt</c> after every epoch and <c>best.ckpt</c> whenever test accuracy improves.</summary>
public sealed class CheckpointSaver(RunFolder run, Func<EpochResult, CheckpointInfo> describe) : ITrainerCallback
{
    private double best = double.NegativeInfinity;

    public void OnEpochEnd(Trainer trainer, EpochResult result, EvaluationResult evaluation)
    {
        var info = describe(result);
        Checkpoint.Save(run.LastCheckpoint, info, trainer.Model, trainer.Optimizer.State());
        if (result.TestAccuracy > best)
        {
            best = result.TestAccuracy;
            AtomicFile.Write(run.BestCheckpoint, target =>
            {
                using var last = File.OpenRead(run.LastCheckpoint);
                last.CopyTo(target);
            });
        }
    }
}
