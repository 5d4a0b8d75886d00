using ScottPlot;

namespace VisionLab.Reporting;

/// <summary>One run's curve of a metric: the steps (epochs or batches) and the values at them.</summary>
public sealed record RunCurve(string Label, IReadOnlyList<double> Steps, IReadOnlyList<double> Values);

/// <summary>
/// One metric of several runs on shared axes, a line per run, so their learning can be compared
/// epoch by epoch. The legend sits outside the plot, where no number of runs can hide a line.
/// </summary>
public static class RunComparisonChart
{
    public static byte[] RenderPng(IReadOnlyList<RunCurve> runs, string metric, string stepName, string title)
    {
        if (runs.Count == 0) throw new ArgumentException("no runs to chart", nameof(runs));
        Typefaces.EnsureRegistered();
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(stepName);
        plot.YLabel(metric);
        foreach (var run in runs)
        {
            if (run.Steps.Count != run.Values.Count)
                throw new ArgumentException($"{run.Label}: {run.Steps.Count} steps but {run.Values.Count} values", nameof(runs));
            // A diverged run's NaN would leave the axis limits undefined: its points are left out.
            var points = run.Steps.Zip(run.Values).Where(p => double.IsFinite(p.Second)).ToArray();
            var line = plot.Add.Scatter(points.Select(p => p.First).ToArray(), points.Select(p => p.Second).ToArray());
            line.LegendText = run.Label;
            line.LineWidth = 2;
            // Markers show where each recorded point is; on batch curves they would be a smear.
            line.MarkerSize = points.Length <= 60 ? 6 : 0;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.ShowLegend(Edge.Right);
        return plot.GetImageBytes(960, 540, ImageFormat.Png);
    }
}
