using VisionLab.Data.Images;

namespace VisionLab.Data.Transforms.Images;

/// <summary>torchvision's RandomHorizontalFlip: mirrors left-right with probability <paramref name="p"/>.</summary>
public sealed class RandomHorizontalFlip(double p = 0.5) : IImageTransform
{
    public double P { get; } = Probability.Checked(p);

    public ByteImage Apply(ByteImage image, Random random) =>
        random.NextDouble() < P ? image.Apply(Transposition.FlipLeftRight) : image;

    public override string ToString() => $"RandomHorizontalFlip(p={P})";
}

/// <summary>torchvision's RandomVerticalFlip: mirrors top-bottom with probability <paramref name="p"/>.</summary>
public sealed class RandomVerticalFlip(double p = 0.5) : IImageTransform
{
    public double P { get; } = Probability.Checked(p);

    public ByteImage Apply(ByteImage image, Random random) =>
        random.NextDouble() < P ? image.Apply(Transposition.FlipTopBottom) : image;

    public override string ToString() => $"RandomVerticalFlip(p={P})";
}

internal static class Probability
{
    public static double Checked(double p) => p is >= 0 and <= 1 ? p : throw new ArgumentOutOfRangeException(nameof(p), p, "a probability lies in [0, 1]");
}
