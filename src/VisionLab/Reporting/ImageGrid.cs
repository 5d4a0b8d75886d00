using System.Runtime.InteropServices;
using SkiaSharp;
using VisionLab.Data.Images;

namespace VisionLab.Reporting;

/// <summary>
/// Images in a grid with a caption under each — what a model will see, a set of mistakes — as a
/// PNG a person can look at.
/// </summary>
public static class ImageGrid
{
    public static byte[] RenderPng(IReadOnlyList<(ByteImage Image, string Caption)> cells, int columns, string title)
    {
        if (cells.Count == 0) throw new ArgumentException("a grid needs at least one image", nameof(cells));
        columns = Math.Clamp(columns, 1, cells.Count);
        int rows = (cells.Count + columns - 1) / columns;
        int cellWidth = cells.Max(c => c.Image.Width), cellHeight = cells.Max(c => c.Image.Height);
        const int gap = 8, captionHeight = 18, top = 36;
        using var font = new SKFont(Typefaces.Sans, 12);
        using var titleFont = new SKFont(Typefaces.Sans, 16);
        int width = gap + columns * (cellWidth + gap), height = top + rows * (cellHeight + captionHeight + gap);

        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText(title, gap, 24, SKTextAlign.Left, titleFont, ink);
        for (int i = 0; i < cells.Count; i++)
        {
            var (image, caption) = cells[i];
            float x = gap + i % columns * (cellWidth + gap), y = top + i / columns * (cellHeight + captionHeight + gap);
            using var bitmap = ToBitmap(image);
            canvas.DrawBitmap(bitmap, x, y);
            string shown = caption;
            while (shown.Length > 1 && font.MeasureText(shown) > cellWidth) shown = shown[..^2] + "…";
            canvas.DrawText(shown, x, y + cellHeight + 14, SKTextAlign.Left, font, ink);
        }
        using var snapshot = surface.Snapshot();
        using var png = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    private static SKBitmap ToBitmap(ByteImage image)
    {
        var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var rgba = new byte[image.Width * image.Height * 4];
        ReadOnlySpan<byte> pixels = image.Pixels;
        for (int p = 0, q = 0; p < image.Width * image.Height; p++, q += image.Channels)
        {
            byte r = pixels[q], g = image.Channels == 3 ? pixels[q + 1] : r, b = image.Channels == 3 ? pixels[q + 2] : r;
            rgba[4 * p] = r;
            rgba[4 * p + 1] = g;
            rgba[4 * p + 2] = b;
            rgba[4 * p + 3] = 255;
        }
        Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        return bitmap;
    }
}
