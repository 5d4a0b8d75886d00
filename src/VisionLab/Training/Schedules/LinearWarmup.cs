using static TorchSharp.torch;

namespace VisionLab.Training.Schedules;

/// <summary>
/// Linear warm-up, per step, from <c>startFactor</c> × the base rate towards the base rate over
/// the first <c>warmupEpochs</c>, then the main schedule, started afresh: its epochs — step sizes,
/// milestones, the cosine's length, the plateau's patience — count from the end of warm-up. That
/// is torch's SequentialLR(LinearLR, main, milestones=[warm-up]) as torchvision's reference
/// recipes use it, with LinearLR stepped per batch, so the rate rises smoothly instead of in
/// epoch-sized jumps (Goyal et al., "Accurate, Large Minibatch SGD", 2017, §2.2).
/// </summary>
public sealed class LinearWarmup : ILearningRateSchedule
{
    private readonly ILearningRateSchedule main;

    /// <param name="main">The schedule after warm-up, built for the epochs that remain.</param>
    public LinearWarmup(ILearningRateSchedule main, double baseRate, double startFactor, int warmupEpochs, int stepsPerEpoch)
    {
        if (warmupEpochs < 1) throw new VisionLabException($"warm-up needs at least one epoch, not {warmupEpochs}");
        if (!(startFactor > 0 && startFactor <= 1)) throw new VisionLabException($"warm-up start factor {startFactor} must be in (0, 1]");
        this.main = main;
        BaseRate = baseRate;
        StartFactor = startFactor;
        WarmupEpochs = warmupEpochs;
        WarmupSteps = (long)warmupEpochs * stepsPerEpoch;
    }

    public double BaseRate { get; }
    public double StartFactor { get; }
    public int WarmupEpochs { get; }
    public long WarmupSteps { get; }

    public double RateAt(long step)
    {
        if (step < 0) throw new VisionLabException($"step {step} must be at least 0");
        return step < WarmupSteps
            ? BaseRate * (StartFactor + (1 - StartFactor) * step / WarmupSteps)
            : main.RateAt(step - WarmupSteps);
    }

    public double? MomentumAt(long step) => step < WarmupSteps ? null : main.MomentumAt(step - WarmupSteps);

    /// <summary>Warm-up epochs are not shown to the main schedule: its first epoch is the first after warm-up.</summary>
    public void OnEpochEnd(int epoch, double monitored)
    {
        if (epoch >= WarmupEpochs) main.OnEpochEnd(epoch - WarmupEpochs, monitored);
    }

    public IEnumerable<(string Name, Tensor Value)> State() => main.State();

    public void LoadState(IReadOnlyDictionary<string, Tensor> saved) => main.LoadState(saved);
}
