using System.Globalization;

namespace VisionLab.Tuning;

/// <summary>
/// A real-valued range: <c>uniform</c> spreads draws evenly between low and high,
/// <c>loguniform</c> evenly in log scale (as many between 1e-4 and 1e-3 as between 1e-2 and 1e-1).
/// </summary>
public sealed class FloatDistribution : NumericDistribution
{
    public FloatDistribution(string key, double low, double high, bool log) : base(key)
    {
        if (!double.IsFinite(low) || !double.IsFinite(high))
            throw Problem($"low and high must be finite numbers (got {Text(low)}, {Text(high)})");
        if (low >= high)
            throw Problem($"low ({Text(low)}) must be below high ({Text(high)})");
        if (log && low <= 0)
            throw Problem($"loguniform needs low > 0 (got {Text(low)})");
        Low = low;
        High = high;
        Log = log;
    }

    public double Low { get; }
    public double High { get; }
    public bool Log { get; }

    public override string TypeName => Log ? "loguniform" : "uniform";
    public override double Lower => Low;
    public override double Upper => High;
    public override double GridStep => 0;
    public override bool IsLog => Log;

    /// <summary>Shortest text that reads back to the same double.</summary>
    public override string Format(double value) => Text(value);

    public override bool TryParse(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
        && value >= Low && value <= High;

    internal override double Snap(double value) => Math.Clamp(value, Low, High);

    private static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
