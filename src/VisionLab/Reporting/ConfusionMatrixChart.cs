using SkiaSharp;
using VisionLab.Training.Metrics;

namespace VisionLab.Reporting;

/// <summary>
/// The confusion matrix as a heat map with counts and class names: rows are true classes, columns
/// predictions, colour the share of the row, so a class's mistakes read along its row.
/// </summary>
public static class ConfusionMatrixChart
{
    public static byte[] RenderPng(ConfusionMatrix matrix, IReadOnlyList<string> classes, string title)
    {
        int n = matrix.Classes;
        const int cell = 58;
        using var font = new SKFont(Typefaces.Sans, 13);
        using var titleFont = new SKFont(Typefaces.Sans, 18);
        float labelWidth = classes.Max(c => font.MeasureText(c)) + 16;
        int left = (int)labelWidth + 30, top = 60 + (int)labelWidth, size = n * cell;
        int width = left + size + 20, height = top + size + 50;

        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var fill = new SKPaint { IsAntialias = false };
        using var grid = new SKPaint { Color = new SKColor(220, 220, 220), Style = SKPaintStyle.Stroke };

        canvas.DrawText(title, 20, 30, SKTextAlign.Left, titleFont, ink);
        for (int a = 0; a < n; a++)
        {
            long rowTotal = Enumerable.Range(0, n).Sum(p => matrix[a, p]);
            for (int p = 0; p < n; p++)
            {
                double share = rowTotal == 0 ? 0 : (double)matrix[a, p] / rowTotal;
                var rect = SKRect.Create(left + p * cell, top + a * cell, cell, cell);
                fill.Color = Shade(share);
                canvas.DrawRect(rect, fill);
                canvas.DrawRect(rect, grid);
                ink.Color = share > 0.5 ? SKColors.White : SKColors.Black;
                canvas.DrawText(matrix[a, p].ToString(System.Globalization.CultureInfo.InvariantCulture),
                    rect.MidX, rect.MidY + 5, SKTextAlign.Center, font, ink);
            }
            ink.Color = SKColors.Black;
            canvas.DrawText(classes[a], left - 8, top + a * cell + cell / 2f + 5, SKTextAlign.Right, font, ink);
        }
        for (int p = 0; p < n; p++)
        {
            canvas.Save();
            canvas.Translate(left + p * cell + cell / 2f + 5, top - 8);
            canvas.RotateDegrees(-90);
            canvas.DrawText(classes[p], 0, 0, SKTextAlign.Left, font, ink);
            canvas.Restore();
        }
        canvas.DrawText("predicted class", left + size / 2f, height - 18, SKTextAlign.Center, font, ink);
        canvas.Save();
        canvas.Translate(16, top + size / 2f);
        canvas.RotateDegrees(-90);
        canvas.DrawText("true class", 0, 0, SKTextAlign.Center, font, ink);
        canvas.Restore();

        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    // White to deep blue as the share of the row grows.
    private static SKColor Shade(double share)
    {
        double t = Math.Sqrt(Math.Clamp(share, 0, 1));
        return new SKColor((byte)(255 - 227 * t), (byte)(255 - 163 * t), (byte)(255 - 100 * t));
    }
}
