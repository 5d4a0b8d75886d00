using VisionLab.Data.Images;

namespace VisionLab.Data.Transforms.Images;

/// <summary>
/// PIL's ImageOps and ImageEnhance.Sharpness, as torchvision's posterize, solarize, autocontrast,
/// equalize, invert and adjust_sharpness call them on PIL images. Most are a lookup table per
/// channel built from PIL's own arithmetic.
/// </summary>
public static class PilImageOps
{
    /// <summary>Keeps the top <paramref name="bits"/> bits of every value (ImageOps.posterize).</summary>
    public static ByteImage Posterize(ByteImage image, int bits)
    {
        if (bits is < 0 or > 8) throw new ArgumentOutOfRangeException(nameof(bits), bits, "posterize keeps 0 to 8 bits");
        int mask = ~((1 << (8 - bits)) - 1);
        return ApplyTable(image, _ => Table(v => v & mask));
    }

    /// <summary>Inverts every value at or above <paramref name="threshold"/> (ImageOps.solarize).</summary>
    public static ByteImage Solarize(ByteImage image, double threshold) =>
        ApplyTable(image, _ => Table(v => v < threshold ? v : 255 - v));

    public static ByteImage Invert(ByteImage image) => ApplyTable(image, _ => Table(v => 255 - v));

    /// <summary>Stretches each channel so its darkest value becomes 0 and its brightest 255 (ImageOps.autocontrast, no cutoff).</summary>
    public static ByteImage AutoContrast(ByteImage image)
    {
        var histograms = Histograms(image);
        return ApplyTable(image, c =>
        {
            var h = histograms[c];
            int lo = Array.FindIndex(h, n => n > 0), hi = Array.FindLastIndex(h, n => n > 0);
            if (hi <= lo) return Table(v => v);
            double scale = 255.0 / (hi - lo), offset = -lo * scale;
            return Table(v => Math.Clamp((int)(v * scale + offset), 0, 255));
        });
    }

    /// <summary>Flattens each channel's histogram (ImageOps.equalize).</summary>
    public static ByteImage Equalize(ByteImage image)
    {
        var histograms = Histograms(image);
        return ApplyTable(image, c =>
        {
            var h = histograms[c];
            var used = h.Where(n => n > 0).ToArray();
            if (used.Length <= 1) return Table(v => v);
            long step = (used.Sum() - used[^1]) / 255;
            if (step == 0) return Table(v => v);
            var table = new byte[256];
            long n = step / 2;
            for (int i = 0; i < 256; i++)
            {
                // Past the brightest used level the running count can pass 255 steps; PIL's table clips it.
                table[i] = (byte)Math.Min(n / step, 255);
                n += h[i];
            }
            return table;
        });
    }

    /// <summary>
    /// ImageEnhance.Sharpness: a blend with PIL's SMOOTH-filtered image (3×3 kernel 1 1 1 / 1 5 1 /
    /// 1 1 1 over 13, border pixels left as they are); factor 0 smooths, above 1 sharpens.
    /// </summary>
    public static ByteImage AdjustSharpness(ByteImage image, double factor)
    {
        if (!(factor >= 0)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "sharpness factor must be non-negative");
        using var smooth = Smooth(image);
        return ColorAdjustments.Blend(smooth, image, factor);
    }

    /// <summary>PIL's 3×3 SMOOTH filter in its float32 order: ½ + row below + row + row above, each a left-to-right sum.</summary>
    private static ByteImage Smooth(ByteImage image)
    {
        const float side = 1f / 13f, centre = 5f / 13f;
        var output = image.Clone();
        if (image.Width < 3 || image.Height < 3) return output;
        ReadOnlySpan<byte> source = image.Pixels;
        int channels = image.Channels, stride = image.Stride;
        for (int y = 1; y < image.Height - 1; y++)
        {
            var row = output.Row(y);
            for (int i = channels; i < stride - channels; i++)
            {
                int at = y * stride + i;
                float sum = 0.5f;
                sum += RowSum(source, at + stride, channels, side, side);
                sum += RowSum(source, at, channels, side, centre);
                sum += RowSum(source, at - stride, channels, side, side);
                row[i] = sum <= 0f ? (byte)0 : sum >= 255f ? (byte)255 : (byte)sum;
            }
        }
        return output;
    }

    private static float RowSum(ReadOnlySpan<byte> pixels, int at, int step, float outer, float middle) =>
        pixels[at - step] * outer + pixels[at] * middle + pixels[at + step] * outer;

    private static long[][] Histograms(ByteImage image)
    {
        var histograms = Enumerable.Range(0, image.Channels).Select(_ => new long[256]).ToArray();
        ReadOnlySpan<byte> pixels = image.Pixels;
        for (int i = 0; i < pixels.Length; i++) histograms[i % image.Channels][pixels[i]]++;
        return histograms;
    }

    private static byte[] Table(Func<int, int> map)
    {
        var table = new byte[256];
        for (int v = 0; v < 256; v++) table[v] = (byte)map(v);
        return table;
    }

    private static ByteImage ApplyTable(ByteImage image, Func<int, byte[]> tableForChannel)
    {
        var tables = Enumerable.Range(0, image.Channels).Select(tableForChannel).ToArray();
        var output = ByteImage.Create(image.Width, image.Height, image.Channels);
        ReadOnlySpan<byte> source = image.Pixels;
        var result = output.Pixels;
        for (int i = 0; i < source.Length; i++) result[i] = tables[i % image.Channels][source[i]];
        return output;
    }
}
