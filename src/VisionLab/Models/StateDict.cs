using static TorchSharp.torch;

namespace VisionLab.Models;

/// <summary>
/// Strict loading of named tensors into a module: every key checked for presence and shape before
/// any value is copied, so a mismatch leaves the module exactly as it was.
/// </summary>
public static class StateDict
{
    /// <param name="except">Tensors left as they are and not looked for in <paramref name="weights"/>
    /// (a new head, when the rest comes from a model trained for other classes).</param>
    public static void LoadStrict(nn.Module module, IReadOnlyDictionary<string, Tensor> weights, string source,
        IReadOnlySet<string>? except = null)
    {
        bool Loaded(string key) => except?.Contains(key) != true;
        var expected = module.state_dict().Where(kv => Loaded(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        weights = weights.Where(kv => Loaded(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        var missing = expected.Keys.Where(k => !weights.ContainsKey(k)).ToList();
        var unexpected = weights.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        var misshapen = expected.Where(kv => weights.TryGetValue(kv.Key, out var w) && !w.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key} [{Shape(weights[kv.Key])}] where the model has [{Shape(kv.Value)}]")
            .ToList();
        if (missing.Count + unexpected.Count + misshapen.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing keys: {List(missing)}");
            if (unexpected.Count > 0) parts.Add($"unexpected keys: {List(unexpected)}");
            if (misshapen.Count > 0) parts.Add($"wrong shapes: {List(misshapen)}");
            string what = except is { Count: > 0 } ? $"the backbone of {module.GetName()}" : module.GetName();
            throw new VisionLabException($"{source} does not fit {what}; {string.Join("; ", parts)}");
        }
        using var _ = no_grad();
        foreach (var (name, target) in expected)
            target.copy_(weights[name]);
    }

    private static string Shape(Tensor t) => string.Join(", ", t.shape);

    private static string List(IReadOnlyList<string> items) =>
        items.Count <= 8 ? string.Join(", ", items) : string.Join(", ", items.Take(8)) + $" and {items.Count - 8} more";
}
