using VisionLab.Data.Images;

namespace VisionLab.Data.Transforms.Images;

/// <summary>
/// torchvision's RandomCrop: optionally pads the image (<paramref name="padding"/> as left, top,
/// right, bottom), pads again where it is still smaller than the crop when
/// <paramref name="padIfNeeded"/> (torchvision adds the shortfall on both sides), then cuts a
/// height × width window at a uniformly random position. Padding and crop are composed as axis
/// maps, so each output pixel is written once.
/// </summary>
public sealed class RandomCrop(int height, int width, (int Left, int Top, int Right, int Bottom)? padding = null,
    bool padIfNeeded = false, byte[]? fill = null, PaddingMode paddingMode = PaddingMode.Constant) : IResizingTransform
{
    private readonly byte[] fill = fill ?? [0];

    /// <summary>torchvision's <c>RandomCrop(size, padding)</c>: a square crop after padding every side alike (CIFAR's 32 with 4).</summary>
    public static RandomCrop Square(int size, int padding = 0, bool padIfNeeded = false, byte[]? fill = null,
        PaddingMode paddingMode = PaddingMode.Constant) =>
        new(size, size, padding == 0 ? null : (padding, padding, padding, padding), padIfNeeded, fill, paddingMode);

    public int Height { get; } = height > 0 && width > 0 ? height : throw new ArgumentException($"crop size {height}x{width} (height x width) must be positive");
    public int Width { get; } = width;

    public (int Height, int Width)? OutputSize => (Height, Width);

    public ByteImage Apply(ByteImage image, Random random)
    {
        var columns = AxisMap.Identity(image.Width);
        var rows = AxisMap.Identity(image.Height);
        if (padding is var (left, top, right, bottom))
        {
            columns = AxisMap.Pad(columns, left, right, paddingMode);
            rows = AxisMap.Pad(rows, top, bottom, paddingMode);
        }
        if (padIfNeeded && columns.Length < Width)
        {
            int shortfall = Width - columns.Length;
            columns = AxisMap.Pad(columns, shortfall, shortfall, paddingMode);
        }
        if (padIfNeeded && rows.Length < Height)
        {
            int shortfall = Height - rows.Length;
            rows = AxisMap.Pad(rows, shortfall, shortfall, paddingMode);
        }
        if (rows.Length < Height || columns.Length < Width)
            throw new VisionLabException(
                $"RandomCrop of {Height}x{Width} is larger than the (padded) {rows.Length}x{columns.Length} image; pad it or set padIfNeeded");
        int top0 = rows.Length == Height ? 0 : random.Next(0, rows.Length - Height + 1);
        int left0 = columns.Length == Width ? 0 : random.Next(0, columns.Length - Width + 1);
        return Cropping.Remap(image, columns[left0..(left0 + Width)], rows[top0..(top0 + Height)], FillColor.For(fill, image.Channels));
    }

    public override string ToString() => $"RandomCrop({Height}x{Width}, padding {padding?.ToString() ?? "none"}, {paddingMode})";
}
