namespace VisionLab.Data;

/// <summary>
/// What training and evaluation read: the batches of an epoch, in order. The in-memory loader
/// (<see cref="DataLoader"/>, for IDX data) and the parallel image-file loader
/// (<see cref="Loading.ParallelImageLoader"/>) both are one.
/// </summary>
public interface IBatchSource
{
    /// <summary>Images one epoch yields (at most: a loader that skips unreadable files yields fewer).</summary>
    int ImagesPerEpoch { get; }

    int BatchesPerEpoch { get; }

    /// <summary>The batches of <paramref name="epoch"/>; the caller disposes each.</summary>
    IEnumerable<Batch> Epoch(int epoch);
}
