using VisionLab.Data.Images;

namespace VisionLab.Data.Transforms.Images;

/// <summary>
/// torchvision's CenterCrop: the central height × width pixels, offsets rounded half to even as
/// Python's round does. A crop larger than the image pads it with black first, the extra pixel of
/// an odd difference going to the right or bottom.
/// </summary>
public sealed class CenterCrop : IResizingTransform
{
    public CenterCrop(int size) : this(size, size) { }

    public CenterCrop(int height, int width)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"crop size {height}x{width} (height x width) must be positive");
        Height = height;
        Width = width;
    }

    public int Height { get; }
    public int Width { get; }

    public (int Height, int Width)? OutputSize => (Height, Width);

    public static PixelRegion RegionFor(int imageHeight, int imageWidth, int height, int width) =>
        new(Offset(imageHeight, height), Offset(imageWidth, width), height, width);

    public ByteImage Apply(ByteImage image, Random random) =>
        image.Height == Height && image.Width == Width ? image : Cropping.Crop(image, RegionFor(image.Height, image.Width, Height, Width));

    public override string ToString() => $"CenterCrop({Height}x{Width})";

    // Padding puts floor(excess / 2) before the image, so the crop starts that far outside it.
    private static int Offset(int imageSize, int cropSize) => cropSize > imageSize
        ? -((cropSize - imageSize) / 2)
        : (int)Math.Round((imageSize - cropSize) / 2.0, MidpointRounding.ToEven);
}
