namespace VisionLab.Data.Transforms.Images;

/// <summary>
/// PIL's 8-bit HSV conversions (<c>rgb2hsv</c> and <c>hsv2rgb</c> in its Convert.c, after
/// Python's colorsys), with PIL's mix of float32 and float64 steps reproduced so that hue
/// adjustment gives PIL's bytes.
/// </summary>
internal static class PilHsv
{
    public static (byte H, byte S, byte V) FromRgb(byte r, byte g, byte b)
    {
        byte max = Math.Max(r, Math.Max(g, b));
        byte min = Math.Min(r, Math.Min(g, b));
        if (max == min) return (0, 0, max);
        float range = max - min;
        float s = range / max;
        float rc = (max - r) / range;
        float gc = (max - g) / range;
        float bc = (max - b) / range;
        float h;
        if (r == max) h = bc - gc;
        else if (g == max) h = (float)(2.0 + rc - bc);
        else h = (float)(4.0 + gc - rc);
        h = (float)((h / 6.0 + 1.0) % 1.0);
        return (Clip((int)(h * 255.0)), Clip((int)(s * 255.0)), max);
    }

    public static void ToRgb(byte h, byte s, byte v, Span<byte> rgb)
    {
        if (s == 0)
        {
            rgb[0] = rgb[1] = rgb[2] = v;
            return;
        }
        int i = (int)Math.Floor((float)h * 6.0 / 255.0);
        float f = (float)((float)h * 6.0 / 255.0 - i);
        float fs = (float)(s / 255.0);
        byte p = Clip((int)Math.Round(v * (1.0 - fs), MidpointRounding.AwayFromZero));
        byte q = Clip((int)Math.Round(v * (1.0 - fs * f), MidpointRounding.AwayFromZero));
        byte t = Clip((int)Math.Round(v * (1.0 - fs * (1.0 - f)), MidpointRounding.AwayFromZero));
        (rgb[0], rgb[1], rgb[2]) = (i % 6) switch
        {
            0 => (v, t, p),
            1 => (q, v, p),
            2 => (p, v, t),
            3 => (p, q, v),
            4 => (t, p, v),
            _ => (v, p, q),
        };
    }

    private static byte Clip(int value) => value < 0 ? (byte)0 : value > 255 ? (byte)255 : (byte)value;
}
