// Does bfloat16 make a CPU training step faster here? TorchSharp 0.107 has no autocast, so this
// measures the best case any mixed-precision scheme could reach: the whole model in bfloat16
// (weights, activations, gradients; the loss in float32), against the float32 step VisionLab trains
// with (libtorch's own convolution kernels plus the oneDNN geometries OneDnnTrainingRouting has
// checked). Master-weight mixed precision would add casts and an fp32 optimiser step on top of the
// bfloat16 time, so if pure bfloat16 is not clearly faster, mixed precision cannot be.
// bfloat16 is timed both with libtorch's kernels and with oneDNN convolutions (its bf16 path; the
// float32 correctness fault ConvolutionBackend describes was not checked for bf16).
//
//   dotnet run -c Release --project bench/precision -- [--models resnet18,mobilenet_v2] [--batch 128]
//                                                      [--steps 10] [--rounds 3] [--threads 2]
using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using VisionLab.Models;
using VisionLab.Runtime;
using static TorchSharp.torch;

var options = Arguments.Parse(args);
TorchRuntime.SetThreads(options.Threads);
Console.WriteLine($"batch {options.Batch}, 1x28x28 small-input, {options.Threads} threads, {options.Steps} steps x {options.Rounds} rounds, median ms per step");
Console.WriteLine($"{"model",-16} {"float32",10} {"bf16",10} {"bf16+oneDNN",12} {"bf16/fp32",10} {"bf16+oneDNN/fp32",17}");
foreach (string name in options.Models)
{
    var timings = new Dictionary<string, List<double>> { ["fp32"] = [], ["bf16"] = [], ["bf16-onednn"] = [] };
    using var fp32 = Build(name, ScalarType.Float32);
    using var bf16 = Build(name, ScalarType.BFloat16);
    // The variants alternate within each round, so a busy machine slows each alike.
    for (int round = 0; round < options.Rounds + 1; round++)
    {
        bool warmUp = round == 0;
        double a = StepMilliseconds(fp32, ScalarType.Float32, options, routed: true);
        ConvolutionBackend.RequireExactGradients();
        double b = StepMilliseconds(bf16, ScalarType.BFloat16, options, routed: false);
        double c = WithOneDnn(() => StepMilliseconds(bf16, ScalarType.BFloat16, options, routed: false));
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {name} round {round}{(warmUp ? " (warm-up)" : "")}: float32 {a:F1} ms, bf16 {b:F1} ms, bf16+oneDNN {c:F1} ms"));
        if (warmUp) continue;
        timings["fp32"].Add(a);
        timings["bf16"].Add(b);
        timings["bf16-onednn"].Add(c);
    }
    double f = Median(timings["fp32"]), h = Median(timings["bf16"]), o = Median(timings["bf16-onednn"]);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-16} {f,10:F1} {h,10:F1} {o,12:F1} {h / f,10:F2} {o / f,17:F2}"));
}

static nn.Module<Tensor, Tensor> Build(string name, ScalarType type)
{
    manual_seed(0);
    var model = ModelZoo.Create(name, new ModelOptions(NumClasses: 10, InChannels: 1, SmallInput: true));
    model.to(type);
    model.train();
    return model;
}

static double StepMilliseconds(nn.Module<Tensor, Tensor> model, ScalarType type, Arguments.Options o, bool routed)
{
    using var routing = routed ? OneDnnTrainingRouting.Route(model) : null;
    using var optimizer = optim.SGD(model.parameters(), 0.01, momentum: 0.9);
    var watch = new Stopwatch();
    for (int step = 0; step < o.Steps; step++)
    {
        using var scope = NewDisposeScope();
        var images = randn(o.Batch, 1, 28, 28).to(type);
        var labels = randint(0, 10, o.Batch, dtype: ScalarType.Int64);
        watch.Start();
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(model.call(images).to(ScalarType.Float32), labels);
        if (routing is not null) routing.Backward(loss); else loss.backward();
        optimizer.step();
        watch.Stop();
    }
    return watch.Elapsed.TotalMilliseconds / o.Steps;
}

static double WithOneDnn(Func<double> run)
{
    using var on = ConvolutionBackend.UseOneDnnForInference(nn.Sequential());
    try { return run(); }
    finally { ConvolutionBackend.RequireExactGradients(); }
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}

static class Arguments
{
    public sealed record Options(string[] Models, int Batch, int Steps, int Rounds, int Threads);

    public static Options Parse(string[] args)
    {
        var o = new Options(["resnet18", "mobilenet_v2"], 128, 10, 3, Environment.ProcessorCount);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string v = args[i + 1];
            o = args[i] switch
            {
                "--models" => o with { Models = v.Split(',') },
                "--batch" => o with { Batch = int.Parse(v, CultureInfo.InvariantCulture) },
                "--steps" => o with { Steps = int.Parse(v, CultureInfo.InvariantCulture) },
                "--rounds" => o with { Rounds = int.Parse(v, CultureInfo.InvariantCulture) },
                "--threads" => o with { Threads = int.Parse(v, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        return o;
    }
}
