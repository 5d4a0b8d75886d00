using VisionLab.Data.Images;

namespace VisionLab.Data.Transforms.Images;

/// <summary>
/// torchvision's adjust_brightness / adjust_contrast / adjust_saturation / adjust_hue on PIL
/// images. The first three are PIL's ImageEnhance: a blend between the image and a "degenerate"
/// version of it (black; its mean grey level; its grey version), factor 0 giving the degenerate
/// image, 1 the original, above 1 extrapolating. The blend is PIL's <c>ImagingBlend</c>: float32
/// arithmetic, truncated (not rounded) to 0–255.
/// </summary>
public static class ColorAdjustments
{
    public static ByteImage AdjustBrightness(ByteImage image, double factor)
    {
        CheckNonNegative(factor, "brightness");
        var output = ByteImage.Create(image.Width, image.Height, image.Channels);
        ReadOnlySpan<byte> pixels = image.Pixels;
        var result = output.Pixels;
        float alpha = (float)factor;
        for (int i = 0; i < pixels.Length; i++) result[i] = Blend(0, pixels[i], alpha);
        return output;
    }

    public static ByteImage AdjustContrast(ByteImage image, double factor)
    {
        CheckNonNegative(factor, "contrast");
        // PIL: the mean of the grey version, rounded half up, as a flat grey image.
        int mean = (int)(MeanGrey(image) + 0.5);
        var output = ByteImage.Create(image.Width, image.Height, image.Channels);
        ReadOnlySpan<byte> pixels = image.Pixels;
        var result = output.Pixels;
        float alpha = (float)factor;
        for (int i = 0; i < pixels.Length; i++) result[i] = Blend(mean, pixels[i], alpha);
        return output;
    }

    public static ByteImage AdjustSaturation(ByteImage image, double factor)
    {
        CheckNonNegative(factor, "saturation");
        if (image.Channels == 1) return image.Clone();
        var output = ByteImage.Create(image.Width, image.Height, 3);
        ReadOnlySpan<byte> pixels = image.Pixels;
        var result = output.Pixels;
        float alpha = (float)factor;
        for (int i = 0; i < pixels.Length; i += 3)
        {
            int grey = ColorConversion.Luma(pixels[i], pixels[i + 1], pixels[i + 2]);
            result[i] = Blend(grey, pixels[i], alpha);
            result[i + 1] = Blend(grey, pixels[i + 1], alpha);
            result[i + 2] = Blend(grey, pixels[i + 2], alpha);
        }
        return output;
    }

    /// <summary>
    /// Rotates hue by <paramref name="factor"/> of a turn (−0.5 to 0.5): PIL's 8-bit HSV round
    /// trip with the hue byte shifted by <c>uint8(factor * 255)</c>, wrapping around, as torchvision does.
    /// </summary>
    public static ByteImage AdjustHue(ByteImage image, double factor)
    {
        if (!(factor >= -0.5 && factor <= 0.5)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "hue factor lies in [-0.5, 0.5]");
        if (image.Channels == 1) return image.Clone();
        // NumPy's uint8(x) of a float truncates towards zero, then wraps modulo 256.
        byte shift = unchecked((byte)(int)(factor * 255));
        var output = ByteImage.Create(image.Width, image.Height, 3);
        ReadOnlySpan<byte> pixels = image.Pixels;
        var result = output.Pixels;
        for (int i = 0; i < pixels.Length; i += 3)
        {
            var (h, s, v) = PilHsv.FromRgb(pixels[i], pixels[i + 1], pixels[i + 2]);
            PilHsv.ToRgb(unchecked((byte)(h + shift)), s, v, result.Slice(i, 3));
        }
        return output;
    }

    /// <summary>PIL's <c>Image.blend(degenerate, image, factor)</c> of two images of the same size.</summary>
    internal static ByteImage Blend(ByteImage degenerate, ByteImage image, double factor)
    {
        var output = ByteImage.Create(image.Width, image.Height, image.Channels);
        ReadOnlySpan<byte> from = degenerate.Pixels, to = image.Pixels;
        var result = output.Pixels;
        float alpha = (float)factor;
        for (int i = 0; i < result.Length; i++) result[i] = Blend(from[i], to[i], alpha);
        return output;
    }

    /// <summary>PIL's <c>ImageStat.Stat(image.convert("L")).mean</c>.</summary>
    internal static double MeanGrey(ByteImage image)
    {
        ReadOnlySpan<byte> pixels = image.Pixels;
        long total = 0;
        if (image.Channels == 1)
        {
            foreach (byte p in pixels) total += p;
        }
        else
        {
            for (int i = 0; i < pixels.Length; i += 3) total += ColorConversion.Luma(pixels[i], pixels[i + 1], pixels[i + 2]);
        }
        return (double)total / (image.Width * image.Height);
    }

    private static byte Blend(int degenerate, int original, float alpha)
    {
        float value = degenerate + alpha * (original - degenerate);
        return value <= 0f ? (byte)0 : value >= 255f ? (byte)255 : (byte)value;
    }

    private static void CheckNonNegative(double factor, string what)
    {
        if (!(factor >= 0)) throw new ArgumentOutOfRangeException(nameof(factor), factor, $"{what} factor must be non-negative");
    }
}
