using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Cli.Rendering;
using VisionLab.Models;
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
        var period = TimeSpan.FromSeconds(s.Seconds);
        var results = new List<object>();
        foreach (var info in models)
        {
            cancellation.ThrowIfCancellationRequested();
            using var model = ModelZoo.Create(info.Name, info.ReferenceOptions);
            ConvolutionBackend.RequireExactGradients(); // each model earns the fast kernels on its own shapes
            ConvolutionBackend.UseOneDnnForInference(model);
            var speeds = batches.Select(b => InferenceBenchmark.Measure(info.Name, model, info.DefaultInput, b, period, period)).ToList();
            results.Add(new { model = info.Name, parameters = info.ReferenceParameters, macs = info.ReferenceMacs, input = info.DefaultInput.ToString(), speeds });
            if (!s.Json)
                AnsiConsole.MarkupLine($"{info.Name,-20} " + string.Join("  ", speeds.Select(v =>
                    $"batch {v.Batch}: {v.MedianMilliseconds,8:F1} ms, {v.ImagesPerSecond,7:F1} img/s")));
        }
        if (s.Json) JsonOutput.Write(new { threads = s.Threads ?? TorchRuntime.DefaultThreads, results });
        return 0;
    }
}
