namespace VisionLab.Tuning;

/// <summary>
/// The random numbers behind one proposal: SplitMix64 (Steele, Lea &amp; Flood, "Fast splittable
/// pseudorandom number generators", 2014), seeded from the sampler's seed and the trial number.
/// A proposal is then a pure function of (seed, trial number, trial history): a worker may be
/// asked to propose again when another worker took the number first, and workers on different
/// machines draw the same numbers whatever their .NET version (System.Random makes no such promise).
/// </summary>
internal sealed class TrialRandom
{
    private const ulong Golden = 0x9E3779B97F4A7C15;
    private ulong state;

    public TrialRandom(long seed, int stream)
    {
        // Mix is a bijection, so for one seed every stream starts from a different state.
        state = Mix(Mix((ulong)seed) + (ulong)(uint)stream);
    }

    public ulong NextBits()
    {
        state += Golden;
        return Mix(state);
    }

    /// <summary>Uniform in [0, 1), 53 random bits.</summary>
    public double NextDouble() => (NextBits() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in 0 … <paramref name="count"/> − 1.</summary>
    public int NextInt(int count) => (int)((NextBits() >> 32) * (ulong)count >> 32);

    /// <summary>A standard normal draw (Box–Muller; the second value of the pair is dropped).</summary>
    public double NextGaussian()
    {
        var u1 = 1.0 - NextDouble(); // in (0, 1], so the logarithm is finite
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
