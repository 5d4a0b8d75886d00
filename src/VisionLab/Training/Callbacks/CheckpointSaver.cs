using VisionLab.Runs;

namespace VisionLab.Training.Callbacks;

/// <summary>
/// Writes <c>last.ckpt</c> after every epoch — the weights with everything a resumed run needs
/// (optimiser, schedule, weight average, early stopping, random generator, step, history), and the
/// weights that were evaluated (the average, when the run keeps one), which loading for use picks —
/// and <c>best.ckpt</c> whenever test accuracy improves: a copy of <c>last.ckpt</c>, or with an
/// average just the averaged weights, for use. Both are written atomically,
/// so a run killed mid-write keeps the previous file whole.
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
        var averaged = AveragedWeights(trainer);
        try
        {
            Checkpoint.Save(run.LastCheckpoint, info, trainer.Model, trainer.Optimizer.State(), trainer.TrainingState(), averaged);
        }
        finally
        {
            foreach (var (_, value) in averaged ?? []) value.Dispose();
        }
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

    private static List<(string Name, TorchSharp.torch.Tensor Value)>? AveragedWeights(Trainer trainer)
    {
        if (trainer.Plan.Ema is not { } average) return null;
        using var _ = TorchSharp.torch.no_grad();
        using (average.SwapIn())
            return trainer.Model.state_dict().Select(kv => (kv.Key, kv.Value.clone())).ToList();
    }
}
