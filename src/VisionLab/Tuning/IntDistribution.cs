using System.Globalization;

namespace VisionLab.Tuning;

/// <summary>
/// Whole numbers from low to high in steps (<c>batch_size: {type: int, low: 32, high: 256, step: 32}</c>),
/// optionally spread evenly in log scale (<c>log: true</c>), where small values are tried as
/// often as large ones.
/// </summary>
public sealed class IntDistribution : NumericDistribution
{
    public IntDistribution(string key, long low, long high, long step = 1, bool log = false) : base(key)
    {
        if (low >= high)
            throw Problem($"low ({low}) must be below high ({high})");
        if (step < 1)
            throw Problem($"step must be at least 1 (got {step})");
        if ((high - low) % step != 0)
            throw Problem($"high ({high}) is not on the grid from low ({low}) in steps of {step}");
        // A grid value stands for the cell [value − step/2, value + step/2]; in log scale every
        // cell must lie above zero.
        if (log && 2 * low <= step)
            throw Problem($"log scale needs low > step/2, so that every grid cell is positive (got low {low}, step {step})");
        Low = low;
        High = high;
        Step = step;
        Log = log;
    }

    public long Low { get; }
    public long High { get; }
    public long Step { get; }
    public bool Log { get; }

    public override string TypeName => "int";
    public override double Lower => Low;
    public override double Upper => High;
    public override double GridStep => Step;
    public override bool IsLog => Log;

    public override string Format(double value) =>
        ((long)Math.Round(Snap(value))).ToString(CultureInfo.InvariantCulture);

    public override bool TryParse(string text, out double value)
    {
        value = 0;
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole)
            || whole < Low || whole > High || (whole - Low) % Step != 0)
            return false;
        value = whole;
        return true;
    }

    internal override double Snap(double value)
    {
        // Math.Round rounds halves to even, like NumPy's round in Optuna's sampler.
        var cells = Math.Clamp(Math.Round((value - Low) / Step), 0, (High - Low) / Step);
        return Low + cells * Step;
    }
}
