namespace VisionLab.Data.Transforms.Images;

/// <summary>What fills the border added around an image (torchvision's padding_mode, NumPy's np.pad modes).</summary>
public enum PaddingMode
{
    /// <summary>A fixed value.</summary>
    Constant,
    /// <summary>The nearest edge pixel repeated.</summary>
    Edge,
    /// <summary>Mirrored without repeating the edge: 2 1 | 0 1 2 3 | 2 1.</summary>
    Reflect,
    /// <summary>Mirrored repeating the edge: 1 0 | 0 1 2 3 | 3 2.</summary>
    Symmetric,
}

/// <summary>
/// Padding as a map along one axis: entry i of a padded axis is the source index it copies, or
/// −1 for the constant fill. Padding both axes, then cropping, then padding again all compose as
/// maps, so a transform touches each output pixel once.
/// </summary>
public static class AxisMap
{
    public const int Fill = -1;

    /// <summary>The identity map of an axis of <paramref name="length"/> pixels.</summary>
    public static int[] Identity(int length) => Enumerable.Range(0, length).ToArray();

    /// <summary><paramref name="map"/> with <paramref name="before"/> and <paramref name="after"/> entries added (negative values crop).</summary>
    public static int[] Pad(int[] map, int before, int after, PaddingMode mode)
    {
        int length = map.Length + before + after;
        if (length <= 0) throw new ArgumentException($"padding ({before}, {after}) leaves nothing of an axis of {map.Length} pixels");
        var padded = new int[length];
        for (int i = 0; i < length; i++)
        {
            int inner = Source(i - before, map.Length, mode);
            padded[i] = inner == Fill ? Fill : map[inner];
        }
        return padded;
    }

    /// <summary>
    /// Which of <paramref name="length"/> pixels position <paramref name="i"/> copies (it may lie
    /// outside the axis); reflections repeat periodically, as np.pad's do for pads wider than the image.
    /// </summary>
    public static int Source(int i, int length, PaddingMode mode)
    {
        if (i >= 0 && i < length) return i;
        switch (mode)
        {
            case PaddingMode.Constant:
                return Fill;
            case PaddingMode.Edge:
                return i < 0 ? 0 : length - 1;
            case PaddingMode.Reflect:
            {
                if (length == 1) return 0;
                int period = 2 * (length - 1);
                int m = ((i % period) + period) % period;
                return m < length ? m : period - m;
            }
            case PaddingMode.Symmetric:
            {
                int period = 2 * length;
                int m = ((i % period) + period) % period;
                return m < length ? m : period - 1 - m;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, null);
        }
    }
}
