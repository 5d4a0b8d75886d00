using VisionLab.Data.Images;

namespace VisionLab.Data.Transforms.Images;

/// <summary>The image operations of the AutoAugment family, in torchvision's order.</summary>
public enum AugmentOp
{
    Identity,
    ShearX,
    ShearY,
    TranslateX,
    TranslateY,
    Rotate,
    Brightness,
    Color,
    Contrast,
    Sharpness,
    Posterize,
    Solarize,
    AutoContrast,
    Equalize,
}

/// <summary>One operation's magnitudes, one per bin (empty for operations without a magnitude), and whether a random sign applies.</summary>
public sealed record AugmentMagnitudes(AugmentOp Op, double[] Bins, bool Signed);

/// <summary>
/// torchvision's <c>_apply_op</c>: what each AugmentOp does with a magnitude. Shears are
/// torchvision's (angle atan(m), about the top-left corner), translations whole pixels, colour
/// operations factor 1 + m.
/// </summary>
public static class AugmentOps
{
    public static ByteImage Apply(ByteImage image, AugmentOp op, double magnitude, Interpolation interpolation, ReadOnlySpan<byte> fill)
    {
        double ShearDegrees() => Math.Atan(magnitude) * (180.0 / Math.PI);
        return op switch
        {
            AugmentOp.Identity => image.Clone(),
            AugmentOp.ShearX => AffineWarp.Affine(image, 0, (0, 0), 1, (ShearDegrees(), 0), interpolation, fill, center: (0, 0)),
            AugmentOp.ShearY => AffineWarp.Affine(image, 0, (0, 0), 1, (0, ShearDegrees()), interpolation, fill, center: (0, 0)),
            AugmentOp.TranslateX => AffineWarp.Affine(image, 0, ((int)magnitude, 0), 1, (0, 0), interpolation, fill),
            AugmentOp.TranslateY => AffineWarp.Affine(image, 0, (0, (int)magnitude), 1, (0, 0), interpolation, fill),
            AugmentOp.Rotate => Rotation.Rotate(image, magnitude, interpolation, fill),
            AugmentOp.Brightness => ColorAdjustments.AdjustBrightness(image, 1.0 + magnitude),
            AugmentOp.Color => ColorAdjustments.AdjustSaturation(image, 1.0 + magnitude),
            AugmentOp.Contrast => ColorAdjustments.AdjustContrast(image, 1.0 + magnitude),
            AugmentOp.Sharpness => PilImageOps.AdjustSharpness(image, 1.0 + magnitude),
            AugmentOp.Posterize => PilImageOps.Posterize(image, (int)magnitude),
            AugmentOp.Solarize => PilImageOps.Solarize(image, magnitude),
            AugmentOp.AutoContrast => PilImageOps.AutoContrast(image),
            AugmentOp.Equalize => PilImageOps.Equalize(image),
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
        };
    }

    /// <summary>torch.linspace in float32, as torchvision's magnitude tables are built (first half from the start, second from the end).</summary>
    public static double[] Linspace(float start, float end, int steps)
    {
        if (steps == 1) return [start];
        float step = (end - start) / (steps - 1);
        int halfway = steps / 2;
        return Enumerable.Range(0, steps).Select(i => (double)(i < halfway ? start + step * i : end - step * (steps - i - 1))).ToArray();
    }

    /// <summary>torchvision's posterize bits: 8 − round(i / ((bins − 1) / levels)), rounded half to even in float32.</summary>
    public static double[] PosterizeBits(int bins, int levels)
    {
        float divisor = (float)((bins - 1) / (double)levels);
        return Enumerable.Range(0, bins).Select(i => (double)(8 - (int)MathF.Round(i / divisor, MidpointRounding.ToEven))).ToArray();
    }

    /// <summary>
    /// Draws an operation uniformly, then (for TrivialAugment) a bin, then a sign, and applies it:
    /// the draw order of torchvision's forward methods.
    /// </summary>
    internal static ByteImage ApplyRandom(ByteImage image, IReadOnlyList<AugmentMagnitudes> space, int? bin, Random random,
        Interpolation interpolation, byte[] fill)
    {
        var (op, bins, signed) = space[random.Next(space.Count)];
        double magnitude = bins.Length == 0 ? 0.0 : bins[bin ?? random.Next(bins.Length)];
        if (signed && random.Next(2) == 1) magnitude = -magnitude;
        return Apply(image, op, magnitude, interpolation, FillColor.For(fill, image.Channels));
    }
}

/// <summary>
/// TrivialAugment (Müller and Hutter, 2021), torchvision's TrivialAugmentWide: per image, one
/// operation drawn uniformly, at a magnitude drawn uniformly from its bins, with a random sign.
/// </summary>
public sealed class TrivialAugmentWide(int magnitudeBins = 31, Interpolation interpolation = Interpolation.Nearest, byte[]? fill = null)
    : IImageTransform
{
    private readonly byte[] fill = fill ?? [0];

    public int MagnitudeBins { get; } = magnitudeBins >= 2 ? magnitudeBins : throw new ArgumentOutOfRangeException(nameof(magnitudeBins), magnitudeBins, "at least 2");

    /// <summary>torchvision's "wide" augmentation space.</summary>
    public IReadOnlyList<AugmentMagnitudes> Space =>
    [
        new(AugmentOp.Identity, [], false),
        new(AugmentOp.ShearX, AugmentOps.Linspace(0f, 0.99f, MagnitudeBins), true),
        new(AugmentOp.ShearY, AugmentOps.Linspace(0f, 0.99f, MagnitudeBins), true),
        new(AugmentOp.TranslateX, AugmentOps.Linspace(0f, 32f, MagnitudeBins), true),
        new(AugmentOp.TranslateY, AugmentOps.Linspace(0f, 32f, MagnitudeBins), true),
        new(AugmentOp.Rotate, AugmentOps.Linspace(0f, 135f, MagnitudeBins), true),
        new(AugmentOp.Brightness, AugmentOps.Linspace(0f, 0.99f, MagnitudeBins), true),
        new(AugmentOp.Color, AugmentOps.Linspace(0f, 0.99f, MagnitudeBins), true),
        new(AugmentOp.Contrast, AugmentOps.Linspace(0f, 0.99f, MagnitudeBins), true),
        new(AugmentOp.Sharpness, AugmentOps.Linspace(0f, 0.99f, MagnitudeBins), true),
        new(AugmentOp.Posterize, AugmentOps.PosterizeBits(MagnitudeBins, 6), false),
        new(AugmentOp.Solarize, AugmentOps.Linspace(255f, 0f, MagnitudeBins), false),
        new(AugmentOp.AutoContrast, [], false),
        new(AugmentOp.Equalize, [], false),
    ];

    public ByteImage Apply(ByteImage image, Random random) =>
        AugmentOps.ApplyRandom(image, Space, bin: null, random, interpolation, fill);

    public override string ToString() => $"TrivialAugmentWide({MagnitudeBins} bins)";
}

/// <summary>
/// RandAugment (Cubuk et al., 2020) as torchvision has it: <see cref="Ops"/> operations in a row,
/// each drawn uniformly, all at the fixed magnitude bin <see cref="Magnitude"/>, each with a random sign.
/// </summary>
public sealed class RandAugment(int ops = 2, int magnitude = 9, int magnitudeBins = 31, Interpolation interpolation = Interpolation.Nearest,
    byte[]? fill = null) : IImageTransform
{
    private readonly byte[] fill = fill ?? [0];

    public int Ops { get; } = ops >= 0 ? ops : throw new ArgumentOutOfRangeException(nameof(ops), ops, "must be non-negative");
    public int MagnitudeBins { get; } = magnitudeBins >= 2 ? magnitudeBins : throw new ArgumentOutOfRangeException(nameof(magnitudeBins), magnitudeBins, "at least 2");
    public int Magnitude { get; } = magnitude >= 0 && magnitude < magnitudeBins
        ? magnitude : throw new ArgumentOutOfRangeException(nameof(magnitude), magnitude, $"a bin in [0, {magnitudeBins})");

    /// <summary>torchvision's RandAugment space; translations scale with the image (150/331 of a side at most).</summary>
    public IReadOnlyList<AugmentMagnitudes> SpaceFor(int height, int width) =>
    [
        new(AugmentOp.Identity, [], false),
        new(AugmentOp.ShearX, AugmentOps.Linspace(0f, 0.3f, MagnitudeBins), true),
        new(AugmentOp.ShearY, AugmentOps.Linspace(0f, 0.3f, MagnitudeBins), true),
        new(AugmentOp.TranslateX, AugmentOps.Linspace(0f, (float)(150.0 / 331.0 * width), MagnitudeBins), true),
        new(AugmentOp.TranslateY, AugmentOps.Linspace(0f, (float)(150.0 / 331.0 * height), MagnitudeBins), true),
        new(AugmentOp.Rotate, AugmentOps.Linspace(0f, 30f, MagnitudeBins), true),
        new(AugmentOp.Brightness, AugmentOps.Linspace(0f, 0.9f, MagnitudeBins), true),
        new(AugmentOp.Color, AugmentOps.Linspace(0f, 0.9f, MagnitudeBins), true),
        new(AugmentOp.Contrast, AugmentOps.Linspace(0f, 0.9f, MagnitudeBins), true),
        new(AugmentOp.Sharpness, AugmentOps.Linspace(0f, 0.9f, MagnitudeBins), true),
        new(AugmentOp.Posterize, AugmentOps.PosterizeBits(MagnitudeBins, 4), false),
        new(AugmentOp.Solarize, AugmentOps.Linspace(255f, 0f, MagnitudeBins), false),
        new(AugmentOp.AutoContrast, [], false),
        new(AugmentOp.Equalize, [], false),
    ];

    public ByteImage Apply(ByteImage image, Random random)
    {
        var space = SpaceFor(image.Height, image.Width);
        var current = image;
        for (int i = 0; i < Ops; i++)
        {
            var next = AugmentOps.ApplyRandom(current, space, Magnitude, random, interpolation, fill);
            if (!ReferenceEquals(current, image)) current.Dispose();
            current = next;
        }
        return current;
    }

    public override string ToString() => $"RandAugment({Ops} ops, magnitude {Magnitude} of {MagnitudeBins})";
}
