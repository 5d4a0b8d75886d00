using VisionLab.Data.Images;

namespace VisionLab.Data.Transforms.Images;

/// <summary>
/// One step of image preparation on 8-bit pixels (torchvision's transforms on PIL images).
/// Random steps draw only from the <see cref="Random"/> they are given, so a seeded generator
/// reproduces the same output; deterministic steps ignore it.
/// </summary>
public interface IImageTransform
{
    /// <summary>
    /// The transformed image: a new one, or <paramref name="image"/> itself when the step leaves it
    /// unchanged. Never disposes <paramref name="image"/>; the caller owns both.
    /// </summary>
    ByteImage Apply(ByteImage image, Random random);
}

/// <summary>
/// A transform that changes the image size. <see cref="OutputSize"/> is the height and width it
/// always produces (crops, two-sided resizes), or null when that depends on the input (resizing
/// the shorter side). Transforms that keep the size (flips, colour) do not implement this.
/// </summary>
public interface IResizingTransform : IImageTransform
{
    (int Height, int Width)? OutputSize { get; }
}

/// <summary>A step on the normalised float image, channels first (C×H×W), after <see cref="ToTensorNormalize"/>: e.g. <see cref="RandomErasing"/>.</summary>
public interface ITensorTransform
{
    void Apply(Span<float> image, ImageShape shape, Random random);
}
