using System.Globalization;

namespace VisionLab.Data.Transforms;

/// <summary>
/// One entry of an <c>--augment</c> list, <c>name[:argument[:argument]]</c>. The lists for IDX data
/// and for image folders name different augmentations, but read and check their entries alike:
/// each argument in its range or an error that quotes the entry.
/// </summary>
public sealed record AugmentationEntry(string Name, IReadOnlyList<string> Arguments, string Text)
{
    /// <summary>RandomErasing's chance when none is given: torchvision's classification reference's.</summary>
    public const double DefaultErasingProbability = 0.25;

    /// <summary>The entries of a comma-separated list; none for an empty list or <c>none</c>.</summary>
    public static IEnumerable<AugmentationEntry> Split(string? spec)
    {
        if (string.IsNullOrWhiteSpace(spec) || spec.Trim() == "none") yield break;
        foreach (var part in spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var words = part.Split(':');
            yield return new AugmentationEntry(words[0], words[1..], part);
        }
    }

    /// <summary>Takes no more than <paramref name="most"/> arguments.</summary>
    public bool Takes(int most) => Arguments.Count <= most;

    public int Integer(int at, int fallback, int min, int max)
    {
        if (at >= Arguments.Count) return fallback;
        return int.TryParse(Arguments[at], NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max
            ? v
            : throw Refused($"'{Arguments[at]}' must be a whole number from {min} to {max}");
    }

    /// <summary>A number in [<paramref name="min"/>, <paramref name="max"/>], or above
    /// <paramref name="min"/> when it must be strictly larger.</summary>
    public double Number(int at, double fallback, double min, double max, bool aboveMin = false)
    {
        if (at >= Arguments.Count) return fallback;
        return double.TryParse(Arguments[at], NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
               && (aboveMin ? v > min : v >= min) && v <= max
            ? v
            : throw Refused($"'{Arguments[at]}' must be a number {(aboveMin ? "above" : "from")} {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
    }

    public VisionLabException Refused(string why) => new($"--augment: '{Text}': {why}");

    /// <summary>An unknown name, or a known one with too many arguments.</summary>
    public VisionLabException Unknown(string grammar) => new($"--augment: '{Text}' is not one of {grammar}");
}
