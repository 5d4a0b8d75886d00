using System.Diagnostics;
using static TorchSharp.torch;

namespace VisionLab.Models;

/// <summary>CPU inference speed of one model at one batch size.</summary>
/// <param name="PeakMemoryMb">The process's peak resident memory while this batch size ran: the
/// model's weights plus the activations of one pass.</param>
public sealed record InferenceSpeed(string Model, int Batch, double MedianMilliseconds, double ImagesPerSecond, int Runs,
    double PeakMemoryMb);

/// <summary>
/// Times eval-mode forward passes the way the benchmarks compare frameworks: warm up by time (the
/// JIT and libtorch's allocators settle in seconds, not in a fixed count), then time single passes
/// for a while and report the median, which a noisy neighbour disturbs least.
/// </summary>
public static class InferenceBenchmark
{
    public static InferenceSpeed Measure(string name, ImageClassifier model, Data.ImageShape input, int batch,
        TimeSpan warmup, TimeSpan measure)
    {
        if (batch < 1) throw new VisionLabException($"batch {batch} must be at least 1");
        model.eval();
        Runtime.ProcessMemory.ResetPeak();
        using var _ = no_grad();
        using var x = randn(batch, input.Channels, input.Height, input.Width);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < warmup) Pass(model, x);
        var times = new List<double>();
        clock.Restart();
        while (clock.Elapsed < measure || times.Count < 3)
        {
            long start = Stopwatch.GetTimestamp();
            Pass(model, x);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        times.Sort();
        double median = times[times.Count / 2];
        return new InferenceSpeed(name, batch, median, batch * 1000.0 / median, times.Count, Runtime.ProcessMemory.PeakResidentMb());
    }

    private static void Pass(ImageClassifier model, Tensor x)
    {
        using var scope = NewDisposeScope();
        model.call(x);
    }
}
