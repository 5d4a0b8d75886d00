using VisionLab.Runs;

namespace VisionLab.Training.Callbacks;

/// <summary>
/// Writes <c>last.ckpt</c> after every epoch — the weights with everything a resumed run needs
/// (optimiser, schedule, weight average, early stopping, random generator, step, history) — and
/// <c>best.ckpt</c> whenever test accuracy improves: the weights that were evaluated (the average,
/// when the run keeps one), for use. Both are written atomically, so a run killed mid-write
/// keeps the previous file whole.
/// </summary>
public sealed class CheckpointSaver(RunFolder run, Func<EpochResult, CheckpointInfo> describe) : ITrainerCallback
{
    private double best = double.NegativeInfinity;

    public void OnTrainBegin(Trainer trainer)
    {
        if (trainer.History.Count > 0) best = trainer.History.Max(h => h.TestAccuracy);
    }

    public void OnEpochEnd(Trainer trainer, EpochResult result, EvaluationResult evaluation)
    {
        var info = describe(result) with { Step = trainer.Step, History = trainer.History.ToList() };
        Checkpoint.Save(run.LastCheckpoint, info, trainer.Model, trainer.Optimizer.State(), trainer.TrainingState());
        if (result.TestAccuracy <= best) return;
        best = result.TestAccuracy;
        if (trainer.Plan.Ema is { } average)
        {
            using (average.SwapIn()) Checkpoint.Save(run.BestCheckpoint, info, trainer.Model);
            return;
        }
        AtomicFile.Write(run.BestCheckpoint, target =>
        {
            using var last = File.OpenRead(run.LastCheckpoint);
            last.CopyTo(target);
        });
    }
}
