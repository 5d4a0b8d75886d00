using System.Globalization;

namespace VisionLab.Compression;

public enum PruningMethod
{
    /// <summary>Zero the smallest weights across the network; the shapes stay.</summary>
    Magnitude,
    /// <summary>Remove whole feature maps inside blocks; the network gets smaller and faster.</summary>
    Channels,
}

/// <summary>What to prune and how much: <c>magnitude:0.5</c> zeroes half the weights,
/// <c>channels:0.3</c> removes 30% of every block's internal feature maps.</summary>
public sealed record PruningSpec(PruningMethod Method, double Amount)
{
    public static PruningSpec Parse(string text)
    {
        var parts = text.Split(':', 2);
        if (!Enum.TryParse<PruningMethod>(parts[0], ignoreCase: true, out var method) || parts.Length != 2
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double amount))
            throw new VisionLabException($"pruning '{text}' is not METHOD:AMOUNT, e.g. magnitude:0.5 or channels:0.3");
        if (amount is <= 0 or >= 1)
            throw new VisionLabException($"pruning amount {amount.ToString(CultureInfo.InvariantCulture)} must lie strictly between 0 and 1 (a share of weights or channels)");
        return new PruningSpec(method, amount);
    }

    /// <summary>Prunes <paramref name="model"/> in place; for magnitude pruning, returns the masks
    /// that keep the removed weights zero through fine-tuning.</summary>
    public WeightMasks? ApplyTo(Models.ImageClassifier model, string name)
    {
        if (Method == PruningMethod.Magnitude) return WeightMasks.Prune(model, Amount);
        ChannelPruning.Prune(model, name, Amount);
        return null;
    }

    public override string ToString() => $"{Method.ToString().ToLowerInvariant()}:{Amount.ToString(CultureInfo.InvariantCulture)}";
}
