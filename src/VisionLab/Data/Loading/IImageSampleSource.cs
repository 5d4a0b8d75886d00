namespace VisionLab.Data.Loading;

/// <summary>
/// Labelled samples that a <see cref="ParallelImageLoader"/> prepares one by one: each becomes a
/// float32 C×H×W image of <see cref="OutputShape"/> (decoded, transformed, normalised). Must be safe
/// to call from several threads at once.
/// </summary>
public interface IImageSampleSource
{
    /// <summary>Where the samples come from, for messages.</summary>
    string Name { get; }

    int Count { get; }

    IReadOnlyList<string> Classes { get; }

    ImageShape OutputShape { get; }

    int LabelOf(int index);

    /// <summary>Writes sample <paramref name="index"/> into <paramref name="destination"/>, drawing any
    /// randomness from <paramref name="random"/>. Throws <see cref="VisionLabException"/> for a sample
    /// that cannot be prepared (the loader may skip it).</summary>
    void Prepare(int index, Random random, Span<float> destination);

    /// <summary>The sample's origin (a file path), for reports of skipped samples.</summary>
    string Describe(int index);
}
