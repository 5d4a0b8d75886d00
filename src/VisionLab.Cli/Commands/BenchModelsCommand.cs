using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Cli.Rendering;
using VisionLab.Models;
using VisionLab.Reporting;
using VisionLab.Runs;
using VisionLab.Runtime;

namespace VisionLab.Cli.Commands;

public sealed class BenchModelsSettings : CommonSettings
{
    [CommandOption("--models <LIST>")]
    [Description("Comma-separated zoo models (default: all).")]
    public string? Models { get; init; }

    [CommandOption("--batch <LIST>")]
    [Description("Comma-separated batch sizes.")]
    [DefaultValue("1,16")]
    public string Batch { get; init; } = "1,16";

    [CommandOption("--threads <N>")]
    [Description("Intra-op CPU threads (default: all cores).")]
    public int? Threads { get; init; }

    [CommandOption("--seconds <S>")]
    [Description("Timed seconds per model and batch, after as long again of warm-up.")]
    [DefaultValue(3.0)]
    public double Seconds { get; init; } = 3.0;

    [CommandOption("--chart <FILE>")]
    [Description("Also write a PNG of batch-1 latency against multiply-adds, one labelled point per model.")]
    public string? Chart { get; init; }
}

/// <summary>CPU inference latency and throughput of zoo models at their default input size.</summary>
public sealed class BenchModelsCommand : Command<BenchModelsSettings>
{
    public override int Execute(CommandContext context, BenchModelsSettings s, CancellationToken cancellation)
    {
        TorchRuntime.SetThreads(s.Threads ?? TorchRuntime.DefaultThreads);
        var models = s.Models is null ? ModelZoo.All.ToList() : s.Models.Split(',').Select(m => ModelZoo.Find(m.Trim())).ToList();
        int[] batches;
        try
        {
            batches = s.Batch.Split(',').Select(b => int.Parse(b.Trim(), System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }
        catch (FormatException)
        {
            throw new VisionLabException($"--batch '{s.Batch}' is not a comma-separated list of whole numbers");
        }
        if (s.Seconds <= 0) throw new VisionLabException($"--seconds {s.Seconds} must be positive");
        var period = TimeSpan.FromSeconds(s.Seconds);
        var results = new List<(ModelInfo Info, List<InferenceSpeed> Speeds)>();
        foreach (var info in models)
        {
            cancellation.ThrowIfCancellationRequested();
            using var model = ModelZoo.Create(info.Name, info.ReferenceOptions);
            using var routing = ConvolutionBackend.UseOneDnnForInference(model);
            var speeds = batches.Select(b => InferenceBenchmark.Measure(info.Name, model, info.DefaultInput, b, period, period)).ToList();
            results.Add((info, speeds));
            if (!s.Json)
                AnsiConsole.MarkupLine($"[grey]{info.Name,-20} " + string.Join("  ", speeds.Select(v =>
                    $"batch {v.Batch}: {v.MedianMilliseconds,8:F1} ms, {v.ImagesPerSecond,7:F1} img/s")) + "[/]");
        }
        if (s.Chart is not null && results.Any(r => r.Speeds.Count > 0))
        {
            var costs = results.Select(r => new ModelCost(r.Info.Name, r.Info.ReferenceMacs, r.Speeds[0].MedianMilliseconds)).ToList();
            AtomicFile.WriteAllBytes(s.Chart, LatencyChart.RenderPng(costs,
                $"CPU latency at batch {batches[0]}, {s.Threads ?? TorchRuntime.DefaultThreads} threads"));
        }
        if (s.Json)
        {
            JsonOutput.Write(new
            {
                threads = s.Threads ?? TorchRuntime.DefaultThreads,
                results = results.Select(r => new
                {
                    model = r.Info.Name, family = r.Info.Family, parameters = r.Info.ReferenceParameters, macs = r.Info.ReferenceMacs,
                    input = r.Info.DefaultInput.ToString(), speeds = r.Speeds,
                }),
            });
            return 0;
        }
        var table = new Table().Border(TableBorder.Rounded).Title("CPU inference at each model's default input");
        table.AddColumn("model");
        table.AddColumn("family");
        table.AddColumn(new TableColumn("parameters").RightAligned());
        table.AddColumn(new TableColumn("GMACs").RightAligned());
        foreach (int b in batches)
        {
            table.AddColumn(new TableColumn($"batch {b} ms").RightAligned());
            table.AddColumn(new TableColumn($"batch {b} img/s").RightAligned());
        }
        table.AddColumn(new TableColumn("peak MB").RightAligned());
        foreach (var (info, speeds) in results)
        {
            var cells = new List<string> { info.Name, info.Family, info.ReferenceParameters.ToString("N0"), (info.ReferenceMacs / 1e9).ToString("F2") };
            foreach (var v in speeds)
            {
                cells.Add(v.MedianMilliseconds.ToString("F1"));
                cells.Add(v.ImagesPerSecond.ToString("F1"));
            }
            cells.Add(speeds.Max(v => v.PeakMemoryMb).ToString("F0"));
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }
        AnsiConsole.Write(table);
        if (s.Chart is not null) AnsiConsole.MarkupLine($"Chart: {Markup.Escape(s.Chart)}");
        return 0;
    }
}
