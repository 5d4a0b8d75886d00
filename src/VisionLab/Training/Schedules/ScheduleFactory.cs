namespace VisionLab.Training.Schedules;

/// <summary>
/// Builds a run's per-step learning-rate schedule from its settings, as timm's
/// <c>create_scheduler</c> does. Which torch scheduler each follows, and how often it is stepped:
/// <list type="bullet">
/// <item><c>constant</c>, <c>step</c> (StepLR), <c>multistep</c> (MultiStepLR), <c>cosine</c>
/// (CosineAnnealingLR, T_max = the epochs after warm-up, eta_min = min_lr): stepped once per
/// epoch, so the rate changes only at epoch boundaries.</item>
/// <item><c>onecycle</c> (OneCycleLR over every step of the run): stepped per batch.</item>
/// <item><c>plateau</c> (ReduceLROnPlateau): stepped once per epoch with the monitored value.</item>
/// <item>warm-up (LinearLR stepped per batch) before any but <c>onecycle</c>; the main schedule
/// then starts afresh, as in SequentialLR (see <see cref="LinearWarmup"/>).</item>
/// </list>
/// A "step" is an optimiser step: with gradient accumulation over k batches an epoch has
/// ⌈batches / k⌉ of them.
/// </summary>
public static class ScheduleFactory
{
    public static ILearningRateSchedule Create(ScheduleSettings settings, double baseRate, int epochs, int stepsPerEpoch)
    {
        settings.Validate(epochs);
        if (!(baseRate > 0 && double.IsFinite(baseRate))) throw new VisionLabException($"base learning rate {baseRate} must be a positive number");
        if (stepsPerEpoch < 1) throw new VisionLabException($"a schedule needs at least one step per epoch, not {stepsPerEpoch}");
        int warmup = settings.WarmupEpochs, mainEpochs = epochs - warmup;
        ILearningRateSchedule main = settings.Name.ToLowerInvariant() switch
        {
            "constant" => new ConstantRate(baseRate, mainEpochs, stepsPerEpoch),
            "step" => new StepDecay(baseRate, mainEpochs, stepsPerEpoch, settings.StepSize ?? Math.Max(1, mainEpochs / 3), settings.Gamma),
            "multistep" => new MultiStepDecay(baseRate, mainEpochs, stepsPerEpoch, settings.Milestones!, settings.Gamma),
            "cosine" => new CosineAnnealing(baseRate, mainEpochs, stepsPerEpoch, settings.MinLr),
            "onecycle" => new OneCycle(settings.MaxLr ?? baseRate, (long)epochs * stepsPerEpoch, settings.PctStart, settings.DivFactor,
                settings.FinalDivFactor, settings.AnnealStrategy == "cos", settings.ThreePhase, settings.CycleMomentum,
                settings.BaseMomentum, settings.MaxMomentum),
            "plateau" => new ReduceOnPlateau(baseRate, settings.Mode == "max", settings.Factor, settings.Patience, settings.Threshold,
                settings.ThresholdMode == "rel", settings.Cooldown, settings.MinLr),
            _ => throw new InvalidOperationException($"Validate let schedule '{settings.Name}' through"),
        };
        return warmup == 0 ? main : new LinearWarmup(main, baseRate, settings.WarmupStartFactor, warmup, stepsPerEpoch);
    }
}
