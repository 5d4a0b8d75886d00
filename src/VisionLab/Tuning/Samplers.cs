namespace VisionLab.Tuning;

/// <summary>The samplers by the names the CLI accepts (<c>--sampler tpe|random</c>).</summary>
public static class Samplers
{
    public static readonly IReadOnlyList<string> Names = ["tpe", "random"];

    public static ISampler Create(string name, long seed) => name.ToLowerInvariant() switch
    {
        "tpe" => new TpeSampler(seed),
        "random" => new RandomSampler(seed),
        _ => throw new VisionLabException($"unknown sampler '{name}' (one of {string.Join(", ", Names)})"),
    };
}
