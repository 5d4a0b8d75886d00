namespace VisionLab.Data.Transforms.Images;

/// <summary>The few distributions the transforms draw from, all from a caller's <see cref="Random"/> so that seeds reproduce.</summary>
internal static class RandomDraws
{
    /// <summary>Uniform on [min, max), torch's <c>uniform_(min, max)</c>.</summary>
    public static double Uniform(Random random, double min, double max) => min + (max - min) * random.NextDouble();

    /// <summary>
    /// One draw of the rectangle RandomResizedCrop and RandomErasing share: a share of
    /// <paramref name="area"/> uniform in <paramref name="scale"/>, an aspect ratio log-uniform in
    /// <paramref name="ratio"/>; returns round(√(area·aspect)) and round(√(area / aspect)),
    /// rounded half to even as Python's round.
    /// </summary>
    public static (int AlongAspect, int AcrossAspect) Rectangle(Random random, double area, (double Min, double Max) scale, (double Min, double Max) ratio)
    {
        double share = area * Uniform(random, scale.Min, scale.Max);
        double aspect = Math.Exp(Uniform(random, Math.Log(ratio.Min), Math.Log(ratio.Max)));
        return ((int)Math.Round(Math.Sqrt(share * aspect), MidpointRounding.ToEven),
            (int)Math.Round(Math.Sqrt(share / aspect), MidpointRounding.ToEven));
    }

    /// <summary>Standard normal by Box–Muller (one of the pair).</summary>
    public static double StandardNormal(Random random) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
