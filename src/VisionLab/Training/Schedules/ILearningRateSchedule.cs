using VisionLab.Training.Optimizers;

namespace VisionLab.Training.Schedules;

/// <summary>
/// The learning rate for every optimiser step of a run. The trainer asks before each step
/// (<see cref="RateAt"/>, with the zero-based count of optimiser steps taken so far) and, after
/// each epoch, reports the monitored value (<see cref="OnEpochEnd"/>), which only
/// reduce-on-plateau listens to. Schedules that are pure functions of the step keep no state;
/// the plateau schedule's state goes into checkpoints through <see cref="ITrainingState"/>.
/// </summary>
public interface ILearningRateSchedule : ITrainingState
{
    /// <summary>The base rate for optimiser step <paramref name="step"/> (zero-based, over the whole run).</summary>
    double RateAt(long step);

    /// <summary>The momentum (Adam's β₁) for the step when the schedule moves it (one-cycle); null otherwise.</summary>
    double? MomentumAt(long step) => null;

    /// <summary>Called once after each zero-based <paramref name="epoch"/> with the monitored value.</summary>
    void OnEpochEnd(int epoch, double monitored) { }
}

/// <summary>A schedule that is a pure function of the step: nothing to save.</summary>
public abstract class StatelessSchedule : ILearningRateSchedule
{
    public abstract double RateAt(long step);

    public virtual double? MomentumAt(long step) => null;

    public virtual void OnEpochEnd(int epoch, double monitored) { }

    public IEnumerable<(string Name, TorchSharp.torch.Tensor Value)> State() => [];

    public void LoadState(IReadOnlyDictionary<string, TorchSharp.torch.Tensor> saved) =>
        TrainingStates.RejectUnknown(saved, [], GetType().Name);
}
