namespace VisionLab.Tuning;

/// <summary>
/// Draws every parameter independently and uniformly over its range (uniformly in log scale for
/// log ranges, evenly over the grid for ints and over the choices for categoricals). The
/// baseline TPE must beat, and TPE's first trials.
/// </summary>
public sealed class RandomSampler(long seed) : ISampler
{
    public long Seed { get; } = seed;

    public IReadOnlyDictionary<string, string> Propose(SearchSpace space, StudyDirection direction, IReadOnlyList<TrialRecord> trials) =>
        Draw(space, new TrialRandom(Seed, ISampler.NextNumber(trials)));

    internal static IReadOnlyDictionary<string, string> Draw(SearchSpace space, TrialRandom random)
    {
        var proposal = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var parameter in space.Parameters)
            proposal[parameter.Key] = parameter.Format(parameter.SampleUniform(random));
        return proposal;
    }
}
