using System.Globalization;
using System.Runtime.InteropServices;
using SkiaSharp;
using VisionLab.Data.Images;
using VisionLab.Explain;

namespace VisionLab.Reporting;

/// <summary>
/// Saliency maps as pictures a person can check: the map, scaled to [0, 1] and resized to the
/// picture the model saw, in the 'jet' colours CAM papers and libraries use (blue: little evidence,
/// red: most), blended over that picture and captioned with the method, the class and its
/// probability. Small inputs (28×28 Fashion-MNIST) are enlarged by a whole factor, each pixel a
/// block, so nothing is invented between the model's pixels; the map is resized to the enlarged
/// picture, so its colours are the map's own bilinear interpolation.
/// </summary>
public static class HeatmapOverlay
{
    /// <summary>Weight of the map's colour against the picture's pixel.</summary>
    public const double DefaultAlpha = 0.5;

    /// <summary>Pictures are shown at least this large on their shorter side.</summary>
    public const int MinimumDisplaySide = 224;

    private const int CaptionHeight = 22;
    private const float CaptionFontSize = 13;

    /// <summary>
    /// The jet colour of <paramref name="value"/> in [0, 1]: dark blue, blue, cyan, yellow, red, dark
    /// red. MATLAB's piecewise-linear map: each channel a tent 1.5 − |4v − c| clipped to [0, 1],
    /// centred at c = 3 for red, 2 for green and 1 for blue. Values outside [0, 1] (and NaN, as 0) are clipped.
    /// </summary>
    public static (byte R, byte G, byte B) Jet(double value)
    {
        double v = double.IsNaN(value) ? 0 : Math.Clamp(value, 0, 1);
        return (Tent(4 * v - 3), Tent(4 * v - 2), Tent(4 * v - 1));

        static byte Tent(double x) => (byte)Math.Round(255 * Math.Clamp(1.5 - Math.Abs(x), 0, 1));
    }

    /// <summary>The whole factor that brings the picture's shorter side to at least <see cref="MinimumDisplaySide"/>.</summary>
    public static int DisplayScale(ByteImage picture) =>
        Math.Max(1, (int)Math.Ceiling((double)MinimumDisplaySide / Math.Min(picture.Width, picture.Height)));

    /// <summary>
    /// The picture enlarged for display (<see cref="DisplayScale"/>), with the map resized to it,
    /// normalised to [0, 1] and blended in jet colours: (1 − α)·pixel + α·colour. A flat map comes out
    /// evenly dark blue. The caller disposes the result.
    /// </summary>
    public static ByteImage Blend(ByteImage picture, SaliencyMap map, double alpha = DefaultAlpha)
    {
        if (!(alpha is >= 0 and <= 1)) throw new VisionLabException($"overlay alpha {alpha} must be between 0 and 1");
        var overlay = picture.Enlarged(DisplayScale(picture), rgb: true);
        var shown = map.Resized(overlay.Height, overlay.Width).Normalized().Values;
        var pixels = overlay.Pixels;
        for (int i = 0; i < shown.Length; i++)
        {
            var (r, g, b) = Jet(shown[i]);
            pixels[3 * i] = Mix(pixels[3 * i], r, alpha);
            pixels[3 * i + 1] = Mix(pixels[3 * i + 1], g, alpha);
            pixels[3 * i + 2] = Mix(pixels[3 * i + 2], b, alpha);
        }
        return overlay;
    }

    /// <summary>"Grad-CAM · Shirt 87.3 %", saying so when the map is flat and shows nothing.</summary>
    public static string Caption(Explanation explanation) =>
        $"{explanation.Title} · {explanation.Target.Class} {Percent(explanation.Target.Probability)}" + (explanation.IsFlat ? " · flat map" : "");

    /// <summary>A probability as "87.3 %".</summary>
    public static string Percent(double probability) => (probability * 100).ToString("F1", CultureInfo.InvariantCulture) + " %";

    /// <summary>One explanation over its picture with a caption strip under it, as PNG bytes.</summary>
    public static byte[] RenderPng(ByteImage picture, Explanation explanation, double alpha = DefaultAlpha)
    {
        using var overlay = Blend(picture, explanation.Map, alpha);
        using var surface = SKSurface.Create(new SKImageInfo(overlay.Width, overlay.Height + CaptionHeight));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using (var bitmap = ToBitmap(overlay)) canvas.DrawBitmap(bitmap, 0, 0);
        using var font = new SKFont(Typefaces.Sans, CaptionFontSize);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText(Fit(Caption(explanation), font, overlay.Width - 8), 4, overlay.Height + 16, SKTextAlign.Left, font, ink);
        using var snapshot = surface.Snapshot();
        using var png = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>
    /// The methods side by side: per explained class a row of the picture (captioned with the class
    /// and its probability) followed by one overlay per method (captioned with the method), as PNG bytes.
    /// </summary>
    public static byte[] RenderComparisonPng(ImageExplanation explained, double alpha = DefaultAlpha)
    {
        if (explained.Explanations.Count == 0) throw new ArgumentException("there is nothing to compare", nameof(explained));
        var rows = explained.Explanations.GroupBy(e => e.Target.Index).ToList();
        int columns = 1 + rows.Max(r => r.Count());
        var cells = new List<(ByteImage Image, string Caption)>();
        try
        {
            foreach (var row in rows)
            {
                var target = row.First().Target;
                cells.Add((explained.Picture.Enlarged(DisplayScale(explained.Picture), rgb: true), $"{target.Class} {Percent(target.Probability)}"));
                foreach (var e in row) cells.Add((Blend(explained.Picture, e.Map, alpha), e.Title + (e.IsFlat ? " · flat map" : "")));
                // Rows are as wide as the widest; a shorter one is padded with blank cells.
                for (int i = row.Count() + 1; i < columns; i++)
                    cells.Add((ByteImage.Filled(cells[^1].Image.Width, cells[^1].Image.Height, 3, [255, 255, 255]), ""));
            }
            string title = $"{Path.GetFileName(explained.Image)}: predicted {explained.Predicted.Class} {Percent(explained.Predicted.Probability)}";
            return ImageGrid.RenderPng(cells, columns, title);
        }
        finally
        {
            foreach (var (image, _) in cells) image.Dispose();
        }
    }

    private static byte Mix(byte pixel, byte colour, double alpha) => (byte)Math.Round((1 - alpha) * pixel + alpha * colour);

    private static string Fit(string text, SKFont font, float width)
    {
        while (text.Length > 1 && font.MeasureText(text) > width) text = text[..^2] + "…";
        return text;
    }

    private static SKBitmap ToBitmap(ByteImage rgb)
    {
        var bitmap = new SKBitmap(new SKImageInfo(rgb.Width, rgb.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var rgba = new byte[rgb.Width * rgb.Height * 4];
        ReadOnlySpan<byte> pixels = rgb.Pixels;
        for (int p = 0; p < rgb.Width * rgb.Height; p++)
        {
            rgba[4 * p] = pixels[3 * p];
            rgba[4 * p + 1] = pixels[3 * p + 1];
            rgba[4 * p + 2] = pixels[3 * p + 2];
            rgba[4 * p + 3] = 255;
        }
        Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        return bitmap;
    }
}
