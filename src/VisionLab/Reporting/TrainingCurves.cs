using ScottPlot;
using SkiaSharp;
using VisionLab.Training;

namespace VisionLab.Reporting;

/// <summary>Loss and accuracy per epoch, training against test, side by side in one PNG.</summary>
public static class TrainingCurves
{
    public static byte[] RenderPng(IReadOnlyList<EpochResult> history, string title)
    {
        Typefaces.EnsureRegistered();
        double[] epochs = history.Select(h => (double)h.Epoch).ToArray();
        byte[] loss = Panel($"{title}: loss", "cross-entropy", Alignment.UpperRight, epochs,
            ("train", history.Select(h => h.TrainLoss)), ("test", history.Select(h => h.TestLoss)));
        byte[] accuracy = Panel($"{title}: accuracy", "accuracy", Alignment.LowerRight, epochs,
            ("train", history.Select(h => h.TrainAccuracy)), ("test", history.Select(h => h.TestAccuracy)));
        return SideBySide(loss, accuracy);
    }

    private const int PanelWidth = 640, PanelHeight = 440;

    // Loss falls and accuracy rises, so their legends sit in opposite corners, away from the lines.
    private static byte[] Panel(string title, string yLabel, Alignment legend, double[] epochs, params (string Name, IEnumerable<double> Values)[] series)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(yLabel);
        foreach (var (name, values) in series)
        {
            var line = plot.Add.Scatter(epochs, values.ToArray());
            line.LegendText = name;
            line.LineWidth = 2;
            line.MarkerSize = 7;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.ShowLegend(legend);
        return plot.GetImageBytes(PanelWidth, PanelHeight, ImageFormat.Png);
    }

    private static byte[] SideBySide(byte[] left, byte[] right)
    {
        using var l = SKBitmap.Decode(left);
        using var r = SKBitmap.Decode(right);
        using var surface = SKSurface.Create(new SKImageInfo(l.Width + r.Width, Math.Max(l.Height, r.Height)));
        surface.Canvas.Clear(SKColors.White);
        surface.Canvas.DrawBitmap(l, 0, 0);
        surface.Canvas.DrawBitmap(r, l.Width, 0);
        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }
}
