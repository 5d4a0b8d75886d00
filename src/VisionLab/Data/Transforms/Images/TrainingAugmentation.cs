namespace VisionLab.Data.Transforms.Images;

/// <summary>
/// What a training run on image files adds to the preset's RandomResizedCrop and flip, in the
/// places torchvision's classification reference puts them: an automatic policy (TrivialAugment or
/// RandAugment) after the flip, RandomErasing after normalisation, and MixUp/CutMix on the collated
/// batch (one of the two per batch when both are asked for).
/// </summary>
/// <param name="Policy">TrivialAugmentWide, RandAugment, or null.</param>
/// <param name="ErasingProbability">Chance of RandomErasing per image; 0: none.</param>
/// <param name="MixUpAlpha">MixUp's Beta(α, α) parameter; 0: no MixUp.</param>
/// <param name="CutMixAlpha">CutMix's Beta(α, α) parameter; 0: no CutMix.</param>
public sealed record TrainingAugmentation(IImageTransform? Policy, double ErasingProbability, double MixUpAlpha, double CutMixAlpha)
{
    public const string Grammar = "none, or a comma-separated list of trivial, randaugment[:OPS[:MAGNITUDE]], erasing[:P], mixup[:ALPHA], cutmix[:ALPHA]";

    public static TrainingAugmentation None { get; } = new(null, 0, 0, 0);

    public bool MixesBatches => MixUpAlpha > 0 || CutMixAlpha > 0;

    /// <summary>Reads the <c>--augment</c> option for image folders (see <see cref="Grammar"/>);
    /// defaults follow torchvision's reference recipes: RandAugment 2 operations at magnitude 9,
    /// erasing 0.25, MixUp α 0.2, CutMix α 1.0.</summary>
    public static TrainingAugmentation Parse(string? spec)
    {
        var result = None;
        foreach (var entry in AugmentationEntry.Split(spec))
        {
            if (entry.Name is "trivial" or "randaugment" && result.Policy is not null)
                throw entry.Refused("give at most one of trivial and randaugment");
            result = entry.Name switch
            {
                "trivial" when entry.Takes(0) => result with { Policy = new TrivialAugmentWide(interpolation: Interpolation.Bilinear) },
                "randaugment" when entry.Takes(2) => result with
                {
                    Policy = new RandAugment(entry.Integer(0, 2, 0, 14), entry.Integer(1, 9, 0, 30), interpolation: Interpolation.Bilinear),
                },
                "erasing" when entry.Takes(1) => result with { ErasingProbability = entry.Number(0, AugmentationEntry.DefaultErasingProbability, 0, 1) },
                "mixup" when entry.Takes(1) => result with { MixUpAlpha = entry.Number(0, 0.2, 0, 100, aboveMin: true) },
                "cutmix" when entry.Takes(1) => result with { CutMixAlpha = entry.Number(0, 1.0, 0, 100, aboveMin: true) },
                _ => throw entry.Unknown(Grammar),
            };
        }
        return result;
    }

    /// <summary>Image steps after the crop and flip.</summary>
    public IReadOnlyList<IImageTransform> ImageSteps => Policy is null ? [] : [Policy];

    /// <summary>Steps on the normalised floats.</summary>
    public IReadOnlyList<ITensorTransform> TensorSteps => ErasingProbability > 0 ? [new RandomErasing(ErasingProbability)] : [];

    /// <summary>The batch-level mix for <paramref name="numClasses"/> classes, or null. Each is
    /// applied to every batch (p = 1), as in torchvision's reference.</summary>
    public IBatchTransform? Mixing(int numClasses)
    {
        var chosen = new List<IBatchTransform>();
        if (MixUpAlpha > 0) chosen.Add(new MixUp(numClasses, 1.0, MixUpAlpha));
        if (CutMixAlpha > 0) chosen.Add(new CutMix(numClasses, 1.0, CutMixAlpha));
        return chosen.Count switch { 0 => null, 1 => chosen[0], _ => new RandomBatchChoice(chosen) };
    }

    public override string ToString()
    {
        var parts = new List<string>();
        if (Policy is RandAugment r) parts.Add($"randaugment:{r.Ops}:{r.Magnitude}");
        else if (Policy is not null) parts.Add("trivial");
        if (ErasingProbability > 0) parts.Add(FormattableString.Invariant($"erasing:{ErasingProbability}"));
        if (MixUpAlpha > 0) parts.Add(FormattableString.Invariant($"mixup:{MixUpAlpha}"));
        if (CutMixAlpha > 0) parts.Add(FormattableString.Invariant($"cutmix:{CutMixAlpha}"));
        return parts.Count == 0 ? "none" : string.Join(",", parts);
    }
}
