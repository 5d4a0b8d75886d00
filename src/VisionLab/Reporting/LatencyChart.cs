using ScottPlot;

namespace VisionLab.Reporting;

/// <summary>One model's point on the size-against-speed chart.</summary>
public sealed record ModelCost(string Model, long Macs, double LatencyMilliseconds);

/// <summary>
/// Latency against multiply-adds, one labelled point per model, both axes logarithmic: models on a
/// line through the origin run equally efficiently, and those below it get more out of each
/// multiply-add — the chart a person choosing a lightweight model wants.
/// </summary>
public static class LatencyChart
{
    public static byte[] RenderPng(IReadOnlyList<ModelCost> models, string title)
    {
        if (models.Count == 0) throw new ArgumentException("no models to chart", nameof(models));
        Typefaces.EnsureRegistered();
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("multiply-adds per image (GMACs, log scale)");
        plot.YLabel("latency (ms, log scale)");
        foreach (var m in models)
        {
            var point = plot.Add.Marker(Math.Log10(m.Macs / 1e9), Math.Log10(m.LatencyMilliseconds));
            point.Size = 9;
            var label = plot.Add.Text(m.Model, Math.Log10(m.Macs / 1e9), Math.Log10(m.LatencyMilliseconds));
            label.LabelFontSize = 11;
            label.OffsetX = 6;
            label.OffsetY = -6;
        }
        plot.Axes.Bottom.TickGenerator = LogTicks();
        plot.Axes.Left.TickGenerator = LogTicks();
        plot.Axes.Margins(0.12, 0.1);
        return plot.GetImageBytes(960, 640, ImageFormat.Png);
    }

    // Ticks at 1, 2, 5 × powers of ten on an axis that holds log10 values.
    private static ScottPlot.TickGenerators.NumericManual LogTicks()
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int power = -3; power <= 4; power++)
            foreach (double m in new[] { 1.0, 2.0, 5.0 })
            {
                double value = m * Math.Pow(10, power);
                ticks.AddMajor(Math.Log10(value), value.ToString("G3", System.Globalization.CultureInfo.InvariantCulture));
            }
        return ticks;
    }
}
