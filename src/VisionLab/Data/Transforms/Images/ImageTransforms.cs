namespace VisionLab.Data.Transforms.Images;

/// <summary>
/// Ready-made pipelines, torchvision's classification presets, so users rarely compose by hand.
/// </summary>
public static class ImageTransforms
{
    /// <summary>
    /// Training: RandomResizedCrop(size) + RandomHorizontalFlip + ToTensor + Normalize (ImageNet
    /// statistics unless given).
    /// </summary>
    public static ImagePipeline Train(int size, float[]? mean = null, float[]? std = null) =>
        new([new RandomResizedCrop(size), new RandomHorizontalFlip()], new ToTensorNormalize(mean, std));

    /// <summary>
    /// Evaluation: Resize the shorter side to size·256/224 (256 for 224), CenterCrop(size),
    /// ToTensor + Normalize: the ImageNet evaluation protocol's 0.875 crop ratio.
    /// </summary>
    public static ImagePipeline Eval(int size, float[]? mean = null, float[]? std = null) =>
        new([new Resize(EvalResizeFor(size)), new CenterCrop(size)], new ToTensorNormalize(mean, std));

    public static int EvalResizeFor(int size) => size * 256 / 224;
}
