using System.Buffers;
using VisionLab.Data.Transforms.Images;

namespace VisionLab.Data.Transforms;

/// <summary>
/// A random change to one training image's pixels (C×H×W bytes, in place), drawn from the loader's
/// seeded generator so that a seed and an epoch always give the same images.
/// </summary>
public interface IPixelAugmentation
{
    void Apply(Span<byte> image, ImageShape shape, Random random);
}

/// <summary>
/// torchvision's <c>RandomCrop(size, padding=p)</c> at the image's own size: pad every side with
/// <paramref name="Padding"/> black pixels, then crop a window of the original size at a uniformly
/// random position — the shift-by-up-to-p augmentation of the ResNet paper's CIFAR experiments.
/// </summary>
public sealed record RandomCrop(int Padding) : IPixelAugmentation
{
    public void Apply(Span<byte> image, ImageShape shape, Random random)
    {
        int dy = random.Next(2 * Padding + 1) - Padding, dx = random.Next(2 * Padding + 1) - Padding;
        if (dy == 0 && dx == 0) return;
        int h = shape.Height, w = shape.Width;
        byte[] rented = ArrayPool<byte>.Shared.Rent(image.Length);
        var source = rented.AsSpan(0, image.Length);
        image.CopyTo(source);
        image.Clear();
        // Output row y, column x shows input (y + dy, x + dx); the rest stays black.
        int y0 = Math.Max(0, -dy), y1 = Math.Min(h, h - dy), x0 = Math.Max(0, -dx), x1 = Math.Min(w, w - dx);
        for (int c = 0; c < shape.Channels; c++)
            for (int y = y0; y < y1; y++)
                source.Slice(c * h * w + (y + dy) * w + x0 + dx, x1 - x0).CopyTo(image.Slice(c * h * w + y * w + x0));
        ArrayPool<byte>.Shared.Return(rented);
    }
}

/// <summary>torchvision's <c>RandomHorizontalFlip(p)</c>: mirror left to right with probability p.</summary>
public sealed record RandomHorizontalFlip(double Probability = 0.5) : IPixelAugmentation
{
    public void Apply(Span<byte> image, ImageShape shape, Random random)
    {
        if (random.NextDouble() >= Probability) return;
        Mirror(image, shape.Width);
    }

    /// <summary>Reverses every row of every channel of a C×H×W image <paramref name="width"/> wide, in place.</summary>
    public static void Mirror<T>(Span<T> image, int width)
    {
        for (int row = 0; row < image.Length; row += width) image.Slice(row, width).Reverse();
    }
}

/// <summary>
/// The training augmentation of an in-memory data set, in torchvision's order: <see cref="Pixels"/>
/// change the 8-bit image (crops, flips), <see cref="Normalised"/> then change the normalised
/// floats at the size the model sees (RandomErasing, whose default fill 0 is the data set's mean).
/// </summary>
public sealed record PixelAugmentationPlan(IReadOnlyList<IPixelAugmentation> Pixels, IReadOnlyList<ITensorTransform> Normalised)
{
    public static readonly PixelAugmentationPlan None = new([], []);

    public bool IsEmpty => Pixels.Count == 0 && Normalised.Count == 0;
}

/// <summary>Reads the <c>--augment</c> option for IDX data: a comma-separated list of
/// <c>crop[:P]</c> (padding P, default 2), <c>hflip</c> and <c>erasing[:P]</c> (RandomErasing with
/// probability P, default 0.25 as in torchvision's classification reference), or <c>none</c>.</summary>
public static class PixelAugmentations
{
    public const string Grammar = "crop[:PADDING], hflip, erasing[:P], none";

    public static PixelAugmentationPlan Parse(string? spec)
    {
        var pixels = new List<IPixelAugmentation>();
        var normalised = new List<ITensorTransform>();
        foreach (var entry in AugmentationEntry.Split(spec))
        {
            switch (entry.Name)
            {
                case "crop" when entry.Takes(1):
                    pixels.Add(new RandomCrop(entry.Integer(0, 2, 1, 64)));
                    break;
                case "hflip" when entry.Takes(0):
                    pixels.Add(new RandomHorizontalFlip());
                    break;
                case "erasing" when entry.Takes(1):
                    normalised.Add(new RandomErasing(entry.Number(0, AugmentationEntry.DefaultErasingProbability, 0, 1, aboveMin: true)));
                    break;
                default:
                    throw entry.Unknown(Grammar);
            }
        }
        return new PixelAugmentationPlan(pixels, normalised);
    }
}
