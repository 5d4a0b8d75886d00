namespace VisionLab.Data.Transforms.Images;

/// <summary>
/// Ready-made pipelines, torchvision's classification presets, so users rarely compose by hand.
/// </summary>
public static class ImageTransforms
{
    /// <summary>
    /// Training: RandomResizedCrop(size) + RandomHorizontalFlip + ToTensor + Normalize (ImageNet
    /// statistics unless given), with the extra steps of <paramref name="augmentation"/> where
    /// torchvision's reference puts them (its batch-level mix belongs to the loader).
    /// </summary>
    public static ImagePipeline Train(int size, float[]? mean = null, float[]? std = null, TrainingAugmentation? augmentation = null)
    {
        augmentation ??= TrainingAugmentation.None;
        return new([new RandomResizedCrop(size), new RandomHorizontalFlip(), .. augmentation.ImageSteps],
            new ToTensorNormalize(mean, std), augmentation.TensorSteps);
    }

    /// <summary>
    /// Evaluation: Resize the shorter side to size·256/224 (256 for 224), CenterCrop(size),
    /// ToTensor + Normalize: the ImageNet evaluation protocol's 0.875 crop ratio.
    /// </summary>
    public static ImagePipeline Eval(int size, float[]? mean = null, float[]? std = null) =>
        new([new Resize(EvalResizeFor(size)), new CenterCrop(size)], new ToTensorNormalize(mean, std));

    public static int EvalResizeFor(int size) => size * 256 / 224;
}
