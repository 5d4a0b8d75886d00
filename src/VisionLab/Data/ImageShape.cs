namespace VisionLab.Data;

/// <summary>The size of one image as a model sees it: channels, height, width.</summary>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    public int Elements => Channels * Height * Width;

    public override string ToString() => $"{Channels}x{Height}x{Width}";

    /// <summary>Parses "CxHxW", e.g. "1x28x28".</summary>
    public static ImageShape Parse(string text)
    {
        var parts = text.Split('x', StringSplitOptions.TrimEntries);
        if (parts.Length != 3 || !parts.All(p => int.TryParse(p, out int v) && v > 0))
            throw new VisionLabException($"image shape '{text}' is not of the form CxHxW with positive sizes, e.g. 3x224x224");
        return new ImageShape(int.Parse(parts[0]), int.Parse(parts[1]), int.Parse(parts[2]));
    }
}
