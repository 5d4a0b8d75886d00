using System.Globalization;
using VisionLab.Data.Images;

namespace VisionLab.Data.Transforms.Images;

/// <summary>
/// torchvision's <c>rotate</c> on PIL images (PIL's <c>Image.rotate</c>, expand=False): the image
/// turned counter-clockwise by an angle in degrees about its centre, keeping its size; corners
/// brought in from outside take the fill colour. Multiples of 90° that keep the size are exact
/// transpositions, as in PIL; other angles are an <see cref="AffineWarp"/>.
/// </summary>
public static class Rotation
{
    public static ByteImage Rotate(ByteImage image, double degrees, Interpolation interpolation, ReadOnlySpan<byte> fill)
    {
        if (fill.Length != image.Channels) throw new ArgumentException($"fill has {fill.Length} values for an image of {image.Channels} channels");
        double angle = degrees % 360.0;
        if (angle < 0) angle += 360.0;
        if (angle == 0) return image.Clone();
        if (angle == 180) return image.Apply(Transposition.Rotate180);
        if (angle is 90 or 270 && image.Width == image.Height)
            return image.Apply(angle == 90 ? Transposition.Rotate90 : Transposition.Rotate270);
        return AffineWarp.Warp(image, InverseMatrix(angle, image.Width / 2.0, image.Height / 2.0), interpolation, fill);
    }

    /// <summary>
    /// PIL's affine matrix taking output coordinates to input ones: rotation by −angle about the
    /// centre, with cos and sin rounded to 15 decimals as PIL rounds them (so 90° gives exact 0 and 1).
    /// </summary>
    private static double[] InverseMatrix(double angle, double centerX, double centerY)
    {
        double radians = -(angle * (Math.PI / 180.0)); // Python's -math.radians(angle), rounding included
        double cos = RoundTo15(Math.Cos(radians)), sin = RoundTo15(Math.Sin(radians)), minusSin = RoundTo15(-Math.Sin(radians));
        double[] m = [cos, sin, 0.0, minusSin, cos, 0.0];
        m[2] = m[0] * -centerX + m[1] * -centerY + m[2] + centerX;
        m[5] = m[3] * -centerX + m[4] * -centerY + m[5] + centerY;
        return m;
    }

    // Python's round(x, 15): the double nearest the decimal rounding of x's exact value; .NET's
    // "F15" formatting is exact, and parsing rounds correctly.
    private static double RoundTo15(double x) =>
        double.Parse(x.ToString("F15", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}

/// <summary>
/// torchvision's RandomRotation: an angle drawn uniformly from <see cref="Degrees"/> (counter-clockwise),
/// about the centre, keeping the size (expand=False), corners filled with <c>fill</c>.
/// </summary>
public sealed class RandomRotation : IImageTransform
{
    private readonly byte[] fill;

    /// <summary>Angles in [−<paramref name="degrees"/>, <paramref name="degrees"/>].</summary>
    public RandomRotation(double degrees, Interpolation interpolation = Interpolation.Nearest, byte[]? fill = null)
        : this((-degrees, degrees), interpolation, fill)
    {
        if (degrees < 0) throw new ArgumentOutOfRangeException(nameof(degrees), degrees, "a single angle must be non-negative");
    }

    public RandomRotation((double Min, double Max) degrees, Interpolation interpolation = Interpolation.Nearest, byte[]? fill = null)
    {
        if (!(degrees.Min <= degrees.Max)) throw new ArgumentException($"degrees ({degrees.Min}, {degrees.Max}) need min <= max");
        if (interpolation == Interpolation.Bicubic) throw new NotSupportedException("RandomRotation supports nearest and bilinear interpolation");
        Degrees = degrees;
        Interpolation = interpolation;
        this.fill = fill ?? [0];
    }

    public (double Min, double Max) Degrees { get; }
    public Interpolation Interpolation { get; }

    public ByteImage Apply(ByteImage image, Random random) =>
        Rotation.Rotate(image, RandomDraws.Uniform(random, Degrees.Min, Degrees.Max), Interpolation, FillColor.For(fill, image.Channels));

    public override string ToString() => $"RandomRotation({Degrees}, {Interpolation})";
}
