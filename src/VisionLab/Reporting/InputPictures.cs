using VisionLab.Data.Images;
using VisionLab.Data.Transforms;
using VisionLab.Data.Transforms.Images;

namespace VisionLab.Reporting;

/// <summary>
/// Model inputs — normalised floats, channels first, as an evaluation transform prepares them —
/// turned back into pictures a person can inspect: de-normalised with the transform's statistics,
/// and small ones enlarged so they can be seen and captioned.
/// </summary>
public sealed class InputPictures
{
    /// <summary>Smallest width or height a picture is shown at: 28-pixel Fashion-MNIST images are
    /// enlarged (nearest neighbour, whole multiples) so they can be seen and their captions fit.</summary>
    public const int MinimumShownSize = 144;

    private readonly ToTensorNormalize display;

    public InputPictures(EvalTransform transform)
    {
        Transform = transform;
        display = new ToTensorNormalize(transform.Mean, transform.Std);
        int longest = Math.Max(transform.Height, transform.Width);
        Scale = Math.Max(1, (MinimumShownSize + longest - 1) / longest);
    }

    public EvalTransform Transform { get; }

    /// <summary>How many times each pixel is repeated across and down.</summary>
    public int Scale { get; }

    /// <summary>One input (exactly C×H×W of <see cref="Transform"/>) as an enlarged 8-bit picture; the
    /// caller disposes it.</summary>
    public ByteImage Render(ReadOnlySpan<float> normalised)
    {
        using var image = display.Read(normalised, Transform.Height, Transform.Width);
        return image.Enlarged(Scale);
    }
}
