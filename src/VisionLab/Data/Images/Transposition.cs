namespace VisionLab.Data.Images;

/// <summary>
/// The eight lossless re-arrangements of a pixel grid (PIL's <c>Image.transpose</c> methods and
/// the EXIF orientations). Rotations are counter-clockwise, as in PIL: <see cref="Rotate90"/>
/// turns the top edge into the left edge.
/// </summary>
public enum Transposition
{
    None,
    FlipLeftRight,
    FlipTopBottom,
    Rotate90,
    Rotate180,
    Rotate270,
    /// <summary>Mirror across the main diagonal (rows become columns).</summary>
    Transpose,
    /// <summary>Mirror across the anti-diagonal.</summary>
    Transverse,
}

public static class Transpositions
{
    /// <summary>
    /// The re-arrangement that shows an image upright given its EXIF orientation tag (1–8), the
    /// same choice as PIL's <c>ImageOps.exif_transpose</c>.
    /// </summary>
    public static Transposition FromExifOrientation(int orientation) => orientation switch
    {
        2 => Transposition.FlipLeftRight,
        3 => Transposition.Rotate180,
        4 => Transposition.FlipTopBottom,
        5 => Transposition.Transpose,
        6 => Transposition.Rotate270,
        7 => Transposition.Transverse,
        8 => Transposition.Rotate90,
        _ => Transposition.None,
    };

    /// <summary>A new image holding <paramref name="image"/> re-arranged; the source is left as it is.</summary>
    public static ByteImage Apply(this ByteImage image, Transposition transposition)
    {
        int w = image.Width, h = image.Height;
        // Every transposition maps output pixel (x, y) to source pixel index origin + x*stepX + y*stepY.
        (int origin, int stepX, int stepY, bool swapsAxes) = transposition switch
        {
            Transposition.None => (0, 1, w, false),
            Transposition.FlipLeftRight => (w - 1, -1, w, false),
            Transposition.FlipTopBottom => ((h - 1) * w, 1, -w, false),
            Transposition.Rotate180 => ((h - 1) * w + w - 1, -1, -w, false),
            Transposition.Transpose => (0, w, 1, true),
            Transposition.Rotate90 => (w - 1, w, -1, true),
            Transposition.Rotate270 => ((h - 1) * w, -w, 1, true),
            Transposition.Transverse => ((h - 1) * w + w - 1, -w, -1, true),
            _ => throw new ArgumentOutOfRangeException(nameof(transposition), transposition, null),
        };
        var output = swapsAxes ? ByteImage.Create(h, w, image.Channels) : ByteImage.Create(w, h, image.Channels);
        ReadOnlySpan<byte> source = image.Pixels;
        int channels = image.Channels;
        for (int y = 0; y < output.Height; y++)
        {
            var row = output.Row(y);
            int index = origin + y * stepY;
            if (channels == 1)
            {
                for (int x = 0; x < row.Length; x++, index += stepX) row[x] = source[index];
            }
            else
            {
                for (int x = 0; x < row.Length; x += 3, index += stepX)
                {
                    int s = index * 3;
                    row[x] = source[s];
                    row[x + 1] = source[s + 1];
                    row[x + 2] = source[s + 2];
                }
            }
        }
        return output;
    }
}
