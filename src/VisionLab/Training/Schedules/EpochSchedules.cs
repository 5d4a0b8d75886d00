namespace VisionLab.Training.Schedules;

/// <summary>
/// A rate that changes only at epoch boundaries, as a torch.optim.lr_scheduler stepped once per
/// epoch gives it: every step of epoch e uses the rate for e.
/// </summary>
public abstract class EpochSchedule : StatelessSchedule
{
    protected EpochSchedule(double baseRate, int epochs, int stepsPerEpoch)
    {
        if (!(baseRate > 0 && double.IsFinite(baseRate))) throw new VisionLabException($"base learning rate {baseRate} must be a positive number");
        if (epochs < 1) throw new VisionLabException($"a schedule needs at least one epoch, not {epochs}");
        if (stepsPerEpoch < 1) throw new VisionLabException($"a schedule needs at least one step per epoch, not {stepsPerEpoch}");
        BaseRate = baseRate;
        Epochs = epochs;
        StepsPerEpoch = stepsPerEpoch;
    }

    public double BaseRate { get; }
    public int Epochs { get; }
    public int StepsPerEpoch { get; }

    /// <summary>Rate for the zero-based <paramref name="epoch"/>.</summary>
    public abstract double RateForEpoch(int epoch);

    public override double RateAt(long step)
    {
        ScheduleSteps.Check(step, (long)Epochs * StepsPerEpoch);
        return RateForEpoch((int)(step / StepsPerEpoch));
    }
}

/// <summary>The base rate throughout.</summary>
public sealed class ConstantRate(double baseRate, int epochs, int stepsPerEpoch) : EpochSchedule(baseRate, epochs, stepsPerEpoch)
{
    public override double RateForEpoch(int epoch) => BaseRate;
}

/// <summary>×γ every <c>stepSize</c> epochs, as StepLR.</summary>
public sealed class StepDecay : EpochSchedule
{
    public StepDecay(double baseRate, int epochs, int stepsPerEpoch, int stepSize, double gamma) : base(baseRate, epochs, stepsPerEpoch)
    {
        if (stepSize < 1) throw new VisionLabException($"step_size {stepSize} must be at least 1 epoch");
        StepSize = stepSize;
        Gamma = gamma;
    }

    public int StepSize { get; }
    public double Gamma { get; }

    public override double RateForEpoch(int epoch) => BaseRate * Math.Pow(Gamma, epoch / StepSize);
}

/// <summary>×γ at each milestone epoch, as MultiStepLR.</summary>
public sealed class MultiStepDecay(double baseRate, int epochs, int stepsPerEpoch, IReadOnlyList<int> milestones, double gamma)
    : EpochSchedule(baseRate, epochs, stepsPerEpoch)
{
    public IReadOnlyList<int> Milestones { get; } = milestones.ToArray();

    public override double RateForEpoch(int epoch) => BaseRate * Math.Pow(gamma, Milestones.Count(m => m <= epoch));
}

/// <summary>
/// Half a cosine from the base rate at epoch 0 towards <c>minRate</c> at epoch <see cref="EpochSchedule.Epochs"/>,
/// as CosineAnnealingLR with T_max = epochs (Loshchilov and Hutter, SGDR, 2017, without restarts).
/// </summary>
public sealed class CosineAnnealing(double baseRate, int epochs, int stepsPerEpoch, double minRate = 0)
    : EpochSchedule(baseRate, epochs, stepsPerEpoch)
{
    public double MinRate { get; } = minRate;

    public override double RateForEpoch(int epoch) =>
        MinRate + (BaseRate - MinRate) * (1 + Math.Cos(Math.PI * epoch / Epochs)) / 2;
}

internal static class ScheduleSteps
{
    public static void Check(long step, long total)
    {
        if (step < 0 || step >= total)
            throw new VisionLabException($"step {step} is outside the schedule's {total} steps (0 to {total - 1})");
    }
}
