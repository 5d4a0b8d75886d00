using System.ComponentModel;
using System.Diagnostics;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using VisionLab.Cli.Rendering;
using VisionLab.Data.NumPy;
using VisionLab.Models;
using VisionLab.Models.Weights;
using VisionLab.Runtime;
using static TorchSharp.torch;

namespace VisionLab.Cli.Commands;

public sealed class InferSettings : ComputeSettings
{
    [CommandOption("-m|--model <NAME>")]
    [Description("Zoo model ('visionlab models' lists them).")]
    public string Model { get; init; } = "";

    [CommandOption("--num-classes <N>")]
    [Description("Width of the head (default: the model's reference head, e.g. 1000).")]
    public int? NumClasses { get; init; }

    [CommandOption("--weights <FILE>")]
    [Description("PyTorch state dict (.pt/.pth) or .safetensors to load, strictly. Without it the weights are seeded random.")]
    public string? Weights { get; init; }

    [CommandOption("--seed <N>")]
    [DefaultValue(0)]
    public int Seed { get; init; }

    [CommandOption("--input <FILE>")]
    [Description("NumPy .npy array, N×C×H×W; its C sets the model's input channels.")]
    public string Input { get; init; } = "";

    [CommandOption("--output <FILE>")]
    [Description("Where to write the model's output as a float32 .npy array.")]
    public string Output { get; init; } = "";

    public override ValidationResult Validate() =>
        Model == "" ? ValidationResult.Error("--model is required")
        : Input == "" ? ValidationResult.Error("--input is required")
        : Output == "" ? ValidationResult.Error("--output is required")
        : ValidationResult.Success();
}

/// <summary>One eval-mode forward pass on an array: the tensor-level bridge to other tools.</summary>
public sealed class InferCommand : Command<InferSettings>
{
    public override int Execute(CommandContext context, InferSettings s, CancellationToken cancellation)
    {
        TorchRuntime.SetThreads(s.Threads ?? TorchRuntime.DefaultThreads);
        var device = TorchRuntime.ParseDevice(s.Device);
        var info = ModelZoo.Find(s.Model);
        using var input = NpyFile.Read(s.Input);
        if (input.dim() != 4)
            throw new VisionLabException($"{s.Input}: a model input is N×C×H×W, this array has shape ({string.Join(", ", input.shape)})");
        TorchRuntime.Seed(s.Seed);
        using var model = ModelZoo.Create(info.Name, new ModelOptions(s.NumClasses ?? info.ReferenceClasses, (int)input.shape[1]));
        if (s.Weights is not null) WeightsFile.LoadInto(model, s.Weights);
        model.to(device);
        model.eval();
        using var routing = ConvolutionBackend.UseOneDnnForInference(model);

        var clock = Stopwatch.StartNew();
        using var _ = no_grad();
        using var x = input.to_type(ScalarType.Float32).to(device);
        Tensor output;
        try
        {
            output = model.call(x);
        }
        catch (System.Runtime.InteropServices.ExternalException e)
        {
            throw new VisionLabException($"{s.Input}: {info.Name} cannot take input of shape ({string.Join(", ", input.shape)}): {e.Message.Split('\n')[0]}", e);
        }
        double milliseconds = clock.Elapsed.TotalMilliseconds;
        using (output) NpyFile.Write(s.Output, output);

        var summary = new
        {
            model = info.Name, input = s.Input, input_shape = input.shape, output = s.Output,
            output_shape = model.NumClasses > 0 ? new[] { input.shape[0], (long)model.NumClasses } : [], milliseconds,
        };
        if (s.Json) JsonOutput.Write(summary);
        else AnsiConsole.MarkupLine($"{Markup.Escape(info.Name)}: ({string.Join(", ", input.shape)}) -> " +
                                    $"({string.Join(", ", summary.output_shape)}) in {milliseconds:F1} ms, written to {Markup.Escape(s.Output)}");
        return 0;
    }
}
