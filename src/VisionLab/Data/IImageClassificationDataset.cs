namespace VisionLab.Data;

/// <summary>
/// Labelled images of one size, addressed by index. In-memory arrays (IDX) and folders of image
/// files implement it alike, so the loader and everything after it need not know where pixels
/// come from.
/// </summary>
public interface IImageClassificationDataset
{
    /// <summary>Where the data came from, for messages and the run record.</summary>
    string Name { get; }

    int Count { get; }

    ImageShape ImageShape { get; }

    /// <summary>Class names; a label is an index into this list.</summary>
    IReadOnlyList<string> Classes { get; }

    int LabelOf(int index);

    /// <summary>Writes the image's pixels, channel-major (C×H×W), values 0–255.</summary>
    void CopyImage(int index, Span<byte> destination);
}
