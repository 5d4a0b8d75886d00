namespace VisionLab.Training.Schedules;

/// <summary>
/// The learning rate for each epoch as a pure function of the epoch, so a resumed run needs no
/// scheduler state to pick up where it stopped. The per-step schedules of training recipes
/// (warm-up, one-cycle, reduce-on-plateau) are <see cref="ILearningRateSchedule"/>s built by
/// <see cref="ScheduleFactory"/>; this epoch form serves the trainer until it sets the rate per step.
/// </summary>
public abstract record LearningRateSchedule
{
    /// <summary>Rate for the zero-based <paramref name="epoch"/>.</summary>
    public abstract double At(int epoch, double baseRate);

    /// <summary><c>constant</c>, <c>cosine</c> (to zero over the run, as CosineAnnealingLR with
    /// T_max = epochs) or <c>step</c> (×0.1 every third of the run, as StepLR).</summary>
    public static LearningRateSchedule Parse(string name, int epochs) => name.ToLowerInvariant() switch
    {
        "constant" => new ConstantSchedule(),
        "cosine" => new CosineSchedule(epochs),
        "step" => new StepSchedule(Math.Max(1, epochs / 3), 0.1),
        _ => throw new VisionLabException($"unknown schedule '{name}' (choose constant, cosine or step)"),
    };
}

public sealed record ConstantSchedule : LearningRateSchedule
{
    public override double At(int epoch, double baseRate) => baseRate;
}

/// <summary>Loshchilov and Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", 2017, without restarts.</summary>
public sealed record CosineSchedule(int Epochs, double MinimumRate = 0) : LearningRateSchedule
{
    public override double At(int epoch, double baseRate) =>
        MinimumRate + (baseRate - MinimumRate) * (1 + Math.Cos(Math.PI * epoch / Epochs)) / 2;
}

public sealed record StepSchedule(int StepSize, double Gamma) : LearningRateSchedule
{
    public override double At(int epoch, double baseRate) => baseRate * Math.Pow(Gamma, epoch / StepSize);
}
