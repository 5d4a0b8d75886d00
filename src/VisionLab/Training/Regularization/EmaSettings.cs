namespace VisionLab.Training.Regularization;

/// <summary>The exponential-moving-average section of a training configuration (snake_case YAML keys).</summary>
public sealed record EmaSettings
{
    /// <summary>Weight of the average against each new step's weights: about 1/(1 − decay) steps are
    /// averaged (timm's default 0.9998 suits long ImageNet runs; short runs want 0.99 to 0.999).</summary>
    public double Decay { get; init; } = 0.9998;

    /// <summary>Use min(decay, (1 + n)/(10 + n)) at the n-th update, so the average follows the weights
    /// closely early on instead of remembering the random initialisation for thousands of steps.</summary>
    public bool Warmup { get; init; } = true;

    /// <summary>Also average floating-point buffers (batch-norm running statistics); otherwise the
    /// averaged model uses the live model's buffers, as timm's ModelEmaV3 with exclude_buffers does.</summary>
    public bool AverageBuffers { get; init; }

    public EmaSettings Validate()
    {
        if (!(Decay >= 0 && Decay < 1))
            throw new VisionLabException($"ema decay {Decay} must be in [0, 1)");
        return this;
    }
}
