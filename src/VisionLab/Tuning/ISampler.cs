namespace VisionLab.Tuning;

/// <summary>
/// Proposes the parameters of a study's next trial from the trials recorded so far. A proposal is
/// a pure function of the sampler's settings and <paramref name="trials"/>: storages may ask again
/// when another worker started a trial first (<see cref="IStudyStorage.StartTrial"/>).
/// </summary>
public interface ISampler
{
    /// <param name="trials">Every trial of the study so far, any state; the new trial's number is
    /// taken to be one past the highest number among them.</param>
    /// <returns>A config override for every parameter of <paramref name="space"/>.</returns>
    IReadOnlyDictionary<string, string> Propose(SearchSpace space, StudyDirection direction, IReadOnlyList<TrialRecord> trials);

    /// <summary>The number the trial being proposed will most likely get.</summary>
    internal static int NextNumber(IReadOnlyList<TrialRecord> trials) =>
        trials.Count == 0 ? 0 : trials.Max(t => t.Number) + 1;
}
