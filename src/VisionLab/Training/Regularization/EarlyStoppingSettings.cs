namespace VisionLab.Training.Regularization;

/// <summary>The early-stopping section of a training configuration (snake_case YAML keys).</summary>
public sealed record EarlyStoppingSettings
{
    /// <summary>Epochs without improvement after which training stops.</summary>
    public int Patience { get; init; } = 5;

    /// <summary>How much better than the best a value must be to count as an improvement.</summary>
    public double MinDelta { get; init; }

    /// <summary><c>min</c> for a value that should fall (a loss), <c>max</c> for one that should rise (an accuracy).</summary>
    public string Mode { get; init; } = "min";

    public EarlyStoppingSettings Validate()
    {
        if (Patience < 0) throw new VisionLabException($"early_stopping patience {Patience} must be at least 0");
        if (!(MinDelta >= 0 && double.IsFinite(MinDelta)))
            throw new VisionLabException($"early_stopping min_delta {MinDelta} must be zero or a positive number");
        if (Mode is not ("min" or "max"))
            throw new VisionLabException($"early_stopping mode '{Mode}' must be min (a loss) or max (an accuracy)");
        return this;
    }
}
