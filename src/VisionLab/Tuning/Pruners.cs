namespace VisionLab.Tuning;

/// <summary>The pruners by the names the CLI accepts (<c>--pruner median|none</c>).</summary>
public static class Pruners
{
    public static readonly IReadOnlyList<string> Names = ["median", "none"];

    /// <summary>The pruner, or null for <c>none</c> (every trial runs to the end).</summary>
    public static IPruner? Create(string name) => name.ToLowerInvariant() switch
    {
        "median" => new MedianPruner(),
        "none" => null,
        _ => throw new VisionLabException($"unknown pruner '{name}' (one of {string.Join(", ", Names)})"),
    };
}
