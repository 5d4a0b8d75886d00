using VisionLab.Data.Transforms.Images;

namespace VisionLab.Data.Transforms;

/// <summary>
/// How an image becomes a model input at evaluation time: its size and channels, and the
/// normalisation statistics. Training saves it in the checkpoint so that evaluation, prediction,
/// explanation and serving prepare images exactly as training did.
/// </summary>
/// <param name="ResizeShorter">When set, the image's shorter side is resized to this and the centre
/// cropped to <paramref name="Height"/>×<paramref name="Width"/> (torchvision's classification eval
/// preset, for photos); when null, the image is resized to that size directly (small data sets whose
/// images all have it already).</param>
public sealed record EvalTransform(int Channels, int Height, int Width, float[] Mean, float[] Std, int? ResizeShorter = null)
{
    public ImageShape Input => new(Channels, Height, Width);

    public Normalize Normalize() => new(Mean, Std);

    /// <summary>
    /// How torchvision's pretrained weights expect images: for colour inputs its classification
    /// preset (shorter side to size × 256/224, centre crop, ImageNet mean and std); grey inputs
    /// (LeNet) are resized to the size and scaled to [-1, 1].
    /// </summary>
    public static EvalTransform ForPretrained(ImageShape input) => input.Channels == 3
        ? new(3, input.Height, input.Width, ToTensorNormalize.ImageNetMean, ToTensorNormalize.ImageNetStd,
            ResizeShorter: ImageTransforms.EvalResizeFor(input.Height))
        : new(input.Channels, input.Height, input.Width, Enumerable.Repeat(0.5f, input.Channels).ToArray(),
            Enumerable.Repeat(0.5f, input.Channels).ToArray());

    /// <summary>The same preparation for one decoded image, as the loader and the predictor run it.</summary>
    public ImagePipeline Pipeline() => new(
        ResizeShorter is int shorter ? [new Resize(shorter), new CenterCrop(Height, Width)] : [new Resize(Height, Width)],
        new ToTensorNormalize(Mean, Std));
}
