using static TorchSharp.torch;

namespace VisionLab.Training.Optimizers;

/// <summary>
/// A piece of a training run that remembers something between steps — an optimiser's moments, a
/// plateau schedule's best value, a weight average, an early-stopping counter — and hands it over
/// as named tensors, so a checkpoint can hold it and a resumed run continue exactly where the
/// interrupted one stood. Scalars travel as 0-d tensors of their own type (double as float64,
/// counts as int64), so nothing is rounded on the way.
/// </summary>
public interface ITrainingState
{
    /// <summary>The state as named tensors, to be written out at once: some are the object's own
    /// (copy them to keep them past the next step), none is the caller's to dispose.</summary>
    IEnumerable<(string Name, Tensor Value)> State();

    /// <summary>Puts back what <see cref="State"/> gave, refusing names or shapes that do not belong.</summary>
    void LoadState(IReadOnlyDictionary<string, Tensor> saved);
}

/// <summary>Helpers for keeping several <see cref="ITrainingState"/> objects in one set of named tensors.</summary>
public static class TrainingStates
{
    /// <summary>The state with every name prefixed by <paramref name="prefix"/> and a dot (<c>schedule.best</c>).</summary>
    public static IEnumerable<(string Name, Tensor Value)> Prefixed(this ITrainingState state, string prefix) =>
        state.State().Select(s => ($"{prefix}.{s.Name}", s.Value));

    /// <summary>Loads the entries of <paramref name="saved"/> that start with <paramref name="prefix"/> and a dot.</summary>
    public static void LoadPrefixed(this ITrainingState state, IReadOnlyDictionary<string, Tensor> saved, string prefix)
    {
        string start = prefix + ".";
        state.LoadState(saved.Where(kv => kv.Key.StartsWith(start, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[start.Length..], kv => kv.Value));
    }

    public static Tensor Scalar(double value) => tensor(value, ScalarType.Float64);

    public static Tensor Scalar(long value) => tensor(value, ScalarType.Int64);

    /// <summary>A saved double, refusing a missing entry with a message naming <paramref name="owner"/>.</summary>
    public static double ReadDouble(IReadOnlyDictionary<string, Tensor> saved, string name, string owner)
    {
        using var value = Require(saved, name, owner).to_type(ScalarType.Float64);
        return value.item<double>();
    }

    public static long ReadLong(IReadOnlyDictionary<string, Tensor> saved, string name, string owner)
    {
        using var value = Require(saved, name, owner).to_type(ScalarType.Int64);
        return value.item<long>();
    }

    /// <summary>Refuses entries other than <paramref name="known"/>: a state saved by something else.</summary>
    public static void RejectUnknown(IReadOnlyDictionary<string, Tensor> saved, IEnumerable<string> known, string owner)
    {
        var expected = known.ToHashSet();
        var unknown = saved.Keys.Where(k => !expected.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
            throw new VisionLabException(
                $"saved {owner} state has {string.Join(", ", unknown.Select(u => $"'{u}'"))}, which this {owner} does not keep " +
                $"(it keeps {string.Join(", ", expected.OrderBy(k => k, StringComparer.Ordinal))})");
    }

    private static Tensor Require(IReadOnlyDictionary<string, Tensor> saved, string name, string owner)
    {
        if (!saved.TryGetValue(name, out var value))
            throw new VisionLabException($"saved {owner} state lacks '{name}'");
        if (value.numel() != 1)
            throw new VisionLabException($"saved {owner} state '{name}' holds {value.numel()} values, not one");
        return value;
    }
}
