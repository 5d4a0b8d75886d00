using VisionLab.Data.Images;

namespace VisionLab.Data.Transforms.Images;

/// <summary>
/// torchvision's Resize on PIL images: with one size, the shorter side becomes that size and the
/// longer keeps the aspect ratio (rounded down, as torchvision computes it); with two, the image
/// becomes exactly height × width. Resampling is PIL's antialiased bilinear (or bicubic).
/// </summary>
public sealed class Resize : IResizingTransform
{
    private readonly int? shorterSide;
    private readonly (int Height, int Width)? exact;

    /// <summary>Resize so that the shorter side is <paramref name="shorterSide"/>.</summary>
    public Resize(int shorterSide, Interpolation interpolation = Interpolation.Bilinear)
    {
        if (shorterSide <= 0) throw new ArgumentOutOfRangeException(nameof(shorterSide), shorterSide, "must be positive");
        this.shorterSide = shorterSide;
        Interpolation = Checked(interpolation);
    }

    /// <summary>Resize to exactly <paramref name="height"/> × <paramref name="width"/>.</summary>
    public Resize(int height, int width, Interpolation interpolation = Interpolation.Bilinear)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"resize target {height}x{width} (height x width) must be positive");
        exact = (height, width);
        Interpolation = Checked(interpolation);
    }

    public Interpolation Interpolation { get; }

    public (int Height, int Width)? OutputSize => exact;

    /// <summary>
    /// torchvision's <c>_compute_resized_output_size</c> for one requested size: the shorter side
    /// becomes <paramref name="shorterSide"/>, the longer <c>int(shorterSide * long / short)</c>.
    /// </summary>
    public static (int Height, int Width) ShorterSideTo(int height, int width, int shorterSide)
    {
        int shorter = Math.Min(height, width), longer = Math.Max(height, width);
        int newLonger = (int)((double)((long)shorterSide * longer) / shorter);
        return width <= height ? (newLonger, shorterSide) : (shorterSide, newLonger);
    }

    public ByteImage Apply(ByteImage image, Random random)
    {
        var (height, width) = exact ?? ShorterSideTo(image.Height, image.Width, shorterSide!.Value);
        if (height == image.Height && width == image.Width) return image;
        return Resampling.Resize(image, new PixelRegion(0, 0, image.Height, image.Width), width, height, Interpolation);
    }

    public override string ToString() => exact is { } size ? $"Resize({size.Height}x{size.Width})" : $"Resize(shorter side {shorterSide})";

    private static Interpolation Checked(Interpolation interpolation) => interpolation != Interpolation.Nearest
        ? interpolation
        : throw new NotSupportedException("Resize supports bilinear and bicubic interpolation");
}
