namespace VisionLab.Data.Images;

/// <summary>Changes between grey and RGB exactly as PIL's <c>Image.convert</c> does.</summary>
public static class ColorConversion
{
    /// <summary>
    /// ITU-R 601 luma, L = 0.299 R + 0.587 G + 0.114 B, in PIL's 16-bit fixed point: the weights
    /// are 19595, 38470 and 7471 out of 65536 (they sum to 65536, so grey stays grey) and 0x8000
    /// rounds. Integer division of R*299 + G*587 + B*114 by 1000, which PIL's documentation
    /// shows, differs from this for some colours.
    /// </summary>
    public static byte Luma(int r, int g, int b) => (byte)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);

    /// <summary>The image with <paramref name="channels"/> channels: itself if it has them already, else a converted copy.</summary>
    public static ByteImage ToChannels(this ByteImage image, int channels) => (image.Channels, channels) switch
    {
        (1, 1) or (3, 3) => image,
        (3, 1) => ToGrey(image),
        (1, 3) => GreyToRgb(image),
        _ => throw new ArgumentException($"images have 1 (grey) or 3 (RGB) channels, not {channels}"),
    };

    /// <summary>PIL's <c>convert("L")</c> of an RGB image.</summary>
    public static ByteImage ToGrey(ByteImage rgb)
    {
        var grey = ByteImage.Create(rgb.Width, rgb.Height, 1);
        RgbToGrey(rgb.Pixels, grey.Pixels);
        return grey;
    }

    /// <summary>PIL's <c>convert("RGB")</c> of a grey image: the value repeated in each channel.</summary>
    public static ByteImage GreyToRgb(ByteImage grey)
    {
        var rgb = ByteImage.Create(grey.Width, grey.Height, 3);
        ReadOnlySpan<byte> source = grey.Pixels;
        var destination = rgb.Pixels;
        for (int i = 0, j = 0; i < source.Length; i++, j += 3)
            destination[j] = destination[j + 1] = destination[j + 2] = source[i];
        return rgb;
    }

    public static void RgbToGrey(ReadOnlySpan<byte> rgb, Span<byte> grey)
    {
        for (int i = 0, j = 0; i < grey.Length; i++, j += 3) grey[i] = Luma(rgb[j], rgb[j + 1], rgb[j + 2]);
    }
}
