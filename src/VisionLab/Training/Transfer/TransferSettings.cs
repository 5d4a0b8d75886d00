namespace VisionLab.Training.Transfer;

/// <summary>
/// How a pretrained backbone is fine-tuned under a new head (snake_case YAML keys): first the head
/// alone for <see cref="FreezeEpochs"/>, so that its random start does not send large gradients
/// into good features, then everything, the backbone at <see cref="BackboneLrScale"/> × the rate.
/// </summary>
public sealed record TransferSettings
{
    /// <summary>Epochs at the start during which the backbone does not move.</summary>
    public int FreezeEpochs { get; init; }

    /// <summary>The backbone's learning rate relative to the head's once it trains.</summary>
    public double BackboneLrScale { get; init; } = 0.1;

    public TransferSettings Validate(int epochs)
    {
        if (FreezeEpochs < 0) throw new VisionLabException($"transfer freeze_epochs {FreezeEpochs} must be at least 0");
        if (FreezeEpochs > epochs)
            throw new VisionLabException($"transfer freeze_epochs {FreezeEpochs} exceeds the run's {epochs} epochs");
        if (!(BackboneLrScale >= 0 && double.IsFinite(BackboneLrScale)))
            throw new VisionLabException($"transfer backbone_lr_scale {BackboneLrScale} must be zero or a positive number");
        return this;
    }
}
