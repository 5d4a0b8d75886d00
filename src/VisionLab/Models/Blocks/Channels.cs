namespace VisionLab.Models.Blocks;

/// <summary>Channel arithmetic the width-scaled families share.</summary>
public static class Channels
{
    /// <summary>
    /// <paramref name="value"/> rounded to the nearest multiple of <paramref name="divisor"/>, at least
    /// <paramref name="minimum"/> (default: the divisor), and never more than 10% below the value —
    /// the rule of the TensorFlow MobileNet code, which torchvision's <c>_make_divisible</c> follows,
    /// so width multipliers give hardware-friendly, reference-identical channel counts.
    /// </summary>
    public static long MakeDivisible(double value, long divisor = 8, long? minimum = null)
    {
        long floor = minimum ?? divisor;
        long rounded = Math.Max(floor, (long)(value + divisor / 2.0) / divisor * divisor);
        if (rounded < 0.9 * value) rounded += divisor;
        return rounded;
    }
}
