using VisionLab.Data.Images;

namespace VisionLab.Data.Transforms.Images;

/// <summary>
/// torchvision's RandomResizedCrop, the ImageNet training crop (Szegedy et al., 2015): a region
/// covering a random share of the image area (<see cref="Scale"/>) with a log-uniform random
/// aspect ratio (<see cref="Ratio"/>), resized to the output size. Up to ten draws are tried; if
/// none fits, the whole image is centre-cropped to the nearest allowed aspect ratio.
/// </summary>
public sealed class RandomResizedCrop : IResizingTransform
{
    public RandomResizedCrop(int size, (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null,
        Interpolation interpolation = Interpolation.Bilinear) : this(size, size, scale, ratio, interpolation) { }

    public RandomResizedCrop(int height, int width, (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null,
        Interpolation interpolation = Interpolation.Bilinear)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"output size {height}x{width} (height x width) must be positive");
        Scale = scale ?? (0.08, 1.0);
        Ratio = ratio ?? (3.0 / 4.0, 4.0 / 3.0);
        if (!(Scale.Min > 0 && Scale.Min <= Scale.Max))
            throw new ArgumentException($"scale ({Scale.Min}, {Scale.Max}) must be a positive range (min <= max)");
        if (!(Ratio.Min > 0 && Ratio.Min <= Ratio.Max))
            throw new ArgumentException($"ratio ({Ratio.Min}, {Ratio.Max}) must be a positive range (min <= max)");
        if (interpolation == Interpolation.Nearest) throw new NotSupportedException("RandomResizedCrop supports bilinear and bicubic interpolation");
        Height = height;
        Width = width;
        Interpolation = interpolation;
    }

    public int Height { get; }
    public int Width { get; }
    public (double Min, double Max) Scale { get; }
    public (double Min, double Max) Ratio { get; }
    public Interpolation Interpolation { get; }

    public (int Height, int Width)? OutputSize => (Height, Width);

    /// <summary>torchvision's <c>RandomResizedCrop.get_params</c>, drawing from <paramref name="random"/>.</summary>
    public PixelRegion SampleRegion(int imageHeight, int imageWidth, Random random)
    {
        double area = (double)imageHeight * imageWidth;
        for (int attempt = 0; attempt < 10; attempt++)
        {
            var (w, h) = RandomDraws.Rectangle(random, area, Scale, Ratio);
            if (w > 0 && w <= imageWidth && h > 0 && h <= imageHeight)
            {
                int top = random.Next(0, imageHeight - h + 1);
                int left = random.Next(0, imageWidth - w + 1);
                return new PixelRegion(top, left, h, w);
            }
        }
        // Fallback: the whole image, trimmed to the nearest allowed aspect ratio, centred.
        double inRatio = (double)imageWidth / imageHeight;
        int width = imageWidth, height = imageHeight;
        if (inRatio < Ratio.Min) height = (int)Math.Round(width / Ratio.Min, MidpointRounding.ToEven);
        else if (inRatio > Ratio.Max) width = (int)Math.Round(height * Ratio.Max, MidpointRounding.ToEven);
        return new PixelRegion((imageHeight - height) / 2, (imageWidth - width) / 2, height, width);
    }

    public ByteImage Apply(ByteImage image, Random random) =>
        Resampling.Resize(image, SampleRegion(image.Height, image.Width, random), Width, Height, Interpolation);

    public override string ToString() => $"RandomResizedCrop({Height}x{Width}, scale {Scale}, ratio {Ratio})";
}
