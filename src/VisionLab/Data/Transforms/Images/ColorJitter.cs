using VisionLab.Data.Images;

namespace VisionLab.Data.Transforms.Images;

/// <summary>The factors one ColorJitter draw chose, and the order to apply them in (0 brightness, 1 contrast, 2 saturation, 3 hue); null leaves that property alone.</summary>
public sealed record ColorJitterFactors(int[] Order, double? Brightness, double? Contrast, double? Saturation, double? Hue)
{
    /// <summary>Applies the adjustments in <see cref="Order"/>, as torchvision's ColorJitter.forward does.</summary>
    public ByteImage Apply(ByteImage image)
    {
        var current = image;
        foreach (int step in Order)
        {
            ByteImage? next = step switch
            {
                0 when Brightness is { } b => ColorAdjustments.AdjustBrightness(current, b),
                1 when Contrast is { } c => ColorAdjustments.AdjustContrast(current, c),
                2 when Saturation is { } s => ColorAdjustments.AdjustSaturation(current, s),
                3 when Hue is { } h => ColorAdjustments.AdjustHue(current, h),
                _ => null,
            };
            if (next is null) continue;
            if (!ReferenceEquals(current, image)) current.Dispose();
            current = next;
        }
        return current;
    }
}

/// <summary>
/// torchvision's ColorJitter: brightness, contrast and saturation factors drawn uniformly from
/// [max(0, 1 − x), 1 + x], hue from [−x, x], applied in a random order. Each range may also be
/// given exactly; a range of exactly (1, 1) (or (0, 0) for hue) is skipped, as torchvision skips it.
/// </summary>
public sealed class ColorJitter : IImageTransform
{
    public ColorJitter(double brightness = 0, double contrast = 0, double saturation = 0, double hue = 0)
        : this(Around(brightness, "brightness"), Around(contrast, "contrast"), Around(saturation, "saturation"), HueRange(hue)) { }

    public ColorJitter((double Min, double Max)? brightness, (double Min, double Max)? contrast,
        (double Min, double Max)? saturation, (double Min, double Max)? hue)
    {
        Brightness = Checked(brightness, 1, "brightness", 0, double.PositiveInfinity);
        Contrast = Checked(contrast, 1, "contrast", 0, double.PositiveInfinity);
        Saturation = Checked(saturation, 1, "saturation", 0, double.PositiveInfinity);
        Hue = Checked(hue, 0, "hue", -0.5, 0.5);
    }

    public (double Min, double Max)? Brightness { get; }
    public (double Min, double Max)? Contrast { get; }
    public (double Min, double Max)? Saturation { get; }
    public (double Min, double Max)? Hue { get; }

    /// <summary>torchvision's <c>ColorJitter.get_params</c>: a random order, then each factor in turn.</summary>
    public ColorJitterFactors Sample(Random random)
    {
        int[] order = [0, 1, 2, 3];
        random.Shuffle(order);
        return new ColorJitterFactors(order, Draw(Brightness, random), Draw(Contrast, random), Draw(Saturation, random), Draw(Hue, random));
    }

    public ByteImage Apply(ByteImage image, Random random) => Sample(random).Apply(image);

    public override string ToString() => $"ColorJitter(brightness {Brightness}, contrast {Contrast}, saturation {Saturation}, hue {Hue})";

    private static double? Draw((double Min, double Max)? range, Random random) =>
        range is var (min, max) ? RandomDraws.Uniform(random, min, max) : null;

    private static (double, double)? Around(double amount, string what)
    {
        if (!(amount >= 0)) throw new ArgumentOutOfRangeException(what, amount, $"{what} jitter must be non-negative");
        return (Math.Max(0, 1 - amount), 1 + amount);
    }

    private static (double, double)? HueRange(double amount)
    {
        if (!(amount >= 0 && amount <= 0.5)) throw new ArgumentOutOfRangeException("hue", amount, "hue jitter lies in [0, 0.5]");
        return (-amount, amount);
    }

    private static (double Min, double Max)? Checked((double Min, double Max)? range, double identity, string what, double lowest, double highest)
    {
        if (range is not var (min, max)) return null;
        if (!(min >= lowest && max <= highest && min <= max))
            throw new ArgumentOutOfRangeException(what, range, $"{what} range must lie within [{lowest}, {highest}] with min <= max");
        return min == identity && max == identity ? null : range;
    }
}
