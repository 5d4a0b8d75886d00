namespace VisionLab.Training.Schedules;

/// <summary>
/// The learning-rate schedule section of a training configuration, one property per YAML key
/// (snake_case: <c>warmup_epochs</c>, <c>step_size</c>, <c>pct_start</c>, …). Defaults are those of
/// the torch.optim.lr_scheduler class each schedule follows.
/// </summary>
public sealed record ScheduleSettings
{
    /// <summary>The schedule names, in the order messages list them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["constant", "step", "multistep", "cosine", "onecycle", "plateau"];

    /// <summary><c>constant</c>, <c>step</c>, <c>multistep</c>, <c>cosine</c>, <c>onecycle</c> or <c>plateau</c>.</summary>
    public string Name { get; init; } = "cosine";

    /// <summary>Epochs of linear warm-up, per step, from <see cref="WarmupStartFactor"/> × the base rate
    /// up to it; the main schedule starts when they end (not with <c>onecycle</c>, which warms up itself).</summary>
    public int WarmupEpochs { get; init; }

    public double WarmupStartFactor { get; init; } = 0.01;

    /// <summary><c>step</c>: epochs between decays; null: a third of the epochs after warm-up.</summary>
    public int? StepSize { get; init; }

    /// <summary><c>multistep</c>: epochs (counted from the end of warm-up) at which the rate decays, increasing.</summary>
    public IReadOnlyList<int>? Milestones { get; init; }

    /// <summary><c>step</c>, <c>multistep</c>: factor of each decay.</summary>
    public double Gamma { get; init; } = 0.1;

    /// <summary><c>cosine</c>: the rate at the end; <c>plateau</c>: the lowest rate reductions go to.</summary>
    public double MinLr { get; init; }

    /// <summary><c>onecycle</c>: the peak rate; null: the optimiser's base rate.</summary>
    public double? MaxLr { get; init; }

    /// <summary><c>onecycle</c>: share of the steps spent rising to the peak.</summary>
    public double PctStart { get; init; } = 0.3;

    /// <summary><c>onecycle</c>: the rate starts at peak / div_factor …</summary>
    public double DivFactor { get; init; } = 25;

    /// <summary><c>onecycle</c>: … and ends at start / final_div_factor.</summary>
    public double FinalDivFactor { get; init; } = 1e4;

    /// <summary><c>onecycle</c>: <c>cos</c> or <c>linear</c> annealing between the phases' ends.</summary>
    public string AnnealStrategy { get; init; } = "cos";

    /// <summary><c>onecycle</c>: fall back to the start rate before annealing to the end (fast.ai's first version).</summary>
    public bool ThreePhase { get; init; }

    /// <summary><c>onecycle</c>: move momentum (Adam's β₁) against the rate, from max_momentum to base_momentum and back.</summary>
    public bool CycleMomentum { get; init; } = true;

    public double BaseMomentum { get; init; } = 0.85;

    public double MaxMomentum { get; init; } = 0.95;

    /// <summary><c>plateau</c>: <c>min</c> when the monitored value should fall (a loss), <c>max</c> when it should rise (accuracy).</summary>
    public string Mode { get; init; } = "min";

    /// <summary><c>plateau</c>: multiplies the rate at each reduction.</summary>
    public double Factor { get; init; } = 0.1;

    /// <summary><c>plateau</c>: epochs without improvement tolerated before a reduction.</summary>
    public int Patience { get; init; } = 10;

    /// <summary><c>plateau</c>: how much better than the best a value must be to count as an improvement.</summary>
    public double Threshold { get; init; } = 1e-4;

    /// <summary><c>plateau</c>: <c>rel</c> (threshold relative to the best) or <c>abs</c>.</summary>
    public string ThresholdMode { get; init; } = "rel";

    /// <summary><c>plateau</c>: epochs after a reduction during which no further reduction is considered.</summary>
    public int Cooldown { get; init; }

    /// <summary>Refuses settings no schedule of <paramref name="epochs"/> epochs could use, saying which key is wrong and why.</summary>
    public ScheduleSettings Validate(int epochs)
    {
        string name = Name.ToLowerInvariant();
        if (!Names.Contains(name))
            throw new VisionLabException($"unknown schedule '{Name}' (choose {string.Join(", ", Names)})");
        if (epochs < 1) throw new VisionLabException($"epochs {epochs} must be at least 1");
        if (WarmupEpochs < 0 || WarmupEpochs >= epochs)
            throw new VisionLabException($"schedule warmup_epochs {WarmupEpochs} must be at least 0 and below the {epochs} epochs");
        if (WarmupEpochs > 0 && !(WarmupStartFactor > 0 && WarmupStartFactor <= 1))
            throw new VisionLabException($"schedule warmup_start_factor {WarmupStartFactor} must be in (0, 1]");
        if (WarmupEpochs > 0 && name == "onecycle")
            throw new VisionLabException("schedule onecycle warms up by itself (pct_start); set warmup_epochs: 0");
        if (!(MinLr >= 0 && double.IsFinite(MinLr)))
            throw new VisionLabException($"schedule min_lr {MinLr} must be zero or a positive number");
        switch (name)
        {
            case "step":
                if (StepSize is < 1)
                    throw new VisionLabException($"schedule step_size {StepSize} must be at least 1 epoch");
                RequireDecayFactor();
                break;
            case "multistep":
                if (Milestones is null || Milestones.Count == 0)
                    throw new VisionLabException("schedule multistep needs milestones, the epochs at which the rate decays (e.g. milestones: [30, 60])");
                for (int i = 0; i < Milestones.Count; i++)
                {
                    if (Milestones[i] < 1)
                        throw new VisionLabException($"schedule milestone {Milestones[i]} must be at least 1");
                    if (i > 0 && Milestones[i] <= Milestones[i - 1])
                        throw new VisionLabException($"schedule milestones [{string.Join(", ", Milestones)}] must increase ({Milestones[i]} follows {Milestones[i - 1]})");
                }
                if (Milestones[^1] >= epochs - WarmupEpochs)
                    throw new VisionLabException(
                        $"schedule milestone {Milestones[^1]} is never reached: milestones count epochs after warm-up, and the run has {epochs - WarmupEpochs}");
                RequireDecayFactor();
                break;
            case "onecycle":
                if (MaxLr is { } max && !(max > 0 && double.IsFinite(max)))
                    throw new VisionLabException($"schedule max_lr {max} must be a positive number");
                if (!(PctStart > 0 && PctStart < 1))
                    throw new VisionLabException($"schedule pct_start {PctStart} must be between 0 and 1");
                if (!(DivFactor >= 1 && double.IsFinite(DivFactor)))
                    throw new VisionLabException($"schedule div_factor {DivFactor} must be at least 1");
                if (!(FinalDivFactor >= 1 && double.IsFinite(FinalDivFactor)))
                    throw new VisionLabException($"schedule final_div_factor {FinalDivFactor} must be at least 1");
                if (AnnealStrategy is not ("cos" or "linear"))
                    throw new VisionLabException($"schedule anneal_strategy '{AnnealStrategy}' must be cos or linear");
                if (CycleMomentum && !(BaseMomentum >= 0 && BaseMomentum <= MaxMomentum && MaxMomentum < 1))
                    throw new VisionLabException($"schedule momentum range base_momentum {BaseMomentum} to max_momentum {MaxMomentum} must satisfy 0 ≤ base ≤ max < 1");
                break;
            case "plateau":
                if (Mode is not ("min" or "max"))
                    throw new VisionLabException($"schedule mode '{Mode}' must be min (a loss) or max (an accuracy)");
                if (ThresholdMode is not ("rel" or "abs"))
                    throw new VisionLabException($"schedule threshold_mode '{ThresholdMode}' must be rel or abs");
                if (!(Factor > 0 && Factor < 1))
                    throw new VisionLabException($"schedule factor {Factor} must be between 0 and 1");
                if (Patience < 0) throw new VisionLabException($"schedule patience {Patience} must be at least 0");
                if (Cooldown < 0) throw new VisionLabException($"schedule cooldown {Cooldown} must be at least 0");
                if (!(Threshold >= 0 && double.IsFinite(Threshold)))
                    throw new VisionLabException($"schedule threshold {Threshold} must be zero or a positive number");
                break;
        }
        return this;
    }

    private void RequireDecayFactor()
    {
        if (!(Gamma > 0 && Gamma <= 1))
            throw new VisionLabException($"schedule gamma {Gamma} must be in (0, 1]");
    }
}
