using VisionLab.Data.Images;

namespace VisionLab.Data.Transforms.Images;

/// <summary>
/// torchvision's ToTensor followed by Normalize, writing straight into a float32 C×H×W span (a
/// slot of a batch tensor, say): each byte v becomes (v / 255 − mean) / std, computed in float32
/// exactly as torch does, through a 256-entry table per channel.
/// </summary>
public sealed class ToTensorNormalize
{
    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    private readonly float[] table;

    /// <param name="mean">Per-channel means; ImageNet's by default.</param>
    /// <param name="std">Per-channel standard deviations; ImageNet's by default.</param>
    public ToTensorNormalize(float[]? mean = null, float[]? std = null)
    {
        Mean = mean ?? ImageNetMean;
        Std = std ?? ImageNetStd;
        if (Mean.Length != Std.Length || Mean.Length == 0)
            throw new ArgumentException($"mean has {Mean.Length} values and std {Std.Length}; they need one per channel");
        if (Std.Any(s => !(s > 0))) throw new ArgumentException($"std [{string.Join(", ", Std)}] must be positive");
        table = new float[Mean.Length * 256];
        for (int c = 0; c < Mean.Length; c++)
        for (int v = 0; v < 256; v++)
            table[c * 256 + v] = (v / 255f - Mean[c]) / Std[c];
    }

    public float[] Mean { get; }
    public float[] Std { get; }

    public int Channels => Mean.Length;

    /// <summary>Writes <paramref name="image"/> as normalised floats, channels first, into <paramref name="destination"/> (exactly C×H×W long).</summary>
    public void Write(ByteImage image, Span<float> destination)
    {
        if (image.Channels != Channels)
            throw new VisionLabException($"normalisation has statistics for {Channels} channels, the image has {image.Channels}");
        int plane = image.Width * image.Height;
        if (destination.Length != plane * Channels)
            throw new ArgumentException($"destination holds {destination.Length} floats; a {image.Shape} image needs {plane * Channels}");
        ReadOnlySpan<byte> pixels = image.Pixels;
        ReadOnlySpan<float> lookup = table;
        if (Channels == 1)
        {
            for (int i = 0; i < plane; i++) destination[i] = lookup[pixels[i]];
            return;
        }
        var red = destination[..plane];
        var green = destination.Slice(plane, plane);
        var blue = destination.Slice(2 * plane, plane);
        var redTable = lookup[..256];
        var greenTable = lookup.Slice(256, 256);
        var blueTable = lookup.Slice(512, 256);
        for (int i = 0, j = 0; i < plane; i++, j += 3)
        {
            red[i] = redTable[pixels[j]];
            green[i] = greenTable[pixels[j + 1]];
            blue[i] = blueTable[pixels[j + 2]];
        }
    }

    /// <summary>The inverse, for showing a person what a model sees: C×H×W normalised floats back
    /// to 8-bit pixels (rounded, clipped to 0–255).</summary>
    public ByteImage Read(ReadOnlySpan<float> source, int height, int width)
    {
        int plane = height * width;
        if (source.Length != plane * Channels)
            throw new ArgumentException($"source holds {source.Length} floats; a {Channels}x{height}x{width} image needs {plane * Channels}");
        var image = ByteImage.Create(width, height, Channels);
        var pixels = image.Pixels;
        for (int c = 0; c < Channels; c++)
        {
            var channel = source.Slice(c * plane, plane);
            for (int i = 0; i < plane; i++)
                pixels[i * Channels + c] = (byte)Math.Clamp(Math.Round((channel[i] * Std[c] + Mean[c]) * 255.0), 0, 255);
        }
        return image;
    }

    public override string ToString() => $"ToTensorNormalize(mean [{string.Join(", ", Mean)}], std [{string.Join(", ", Std)}])";
}
