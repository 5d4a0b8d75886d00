using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using VisionLab.Data.Transforms;
using VisionLab.Models;
using VisionLab.Models.Weights;
using VisionLab.Runtime;
using static TorchSharp.torch;

namespace VisionLab.Cli.Commands;

/// <summary>A model ready to look into: itself (on its device, in eval mode), how its inputs are
/// prepared, its class names, and names for tables (with the file it came from) and for picture titles.</summary>
public sealed record ModelToInspect(string Name, string Architecture, ImageClassifier Model, EvalTransform Transform, IReadOnlyList<string> Classes);

/// <summary>
/// Options of verbs that look into a trained model, which comes either from a VisionLab checkpoint
/// (model, classes and eval transform in one file) or from a zoo name with a PyTorch state dict,
/// whose images are prepared as torchvision's pretrained weights expect.
/// </summary>
public abstract class ModelSourceSettings : ComputeSettings
{
    [CommandOption("-c|--checkpoint <FILE>")]
    [Description("Checkpoint written by 'visionlab train' or 'weights import': model, classes and eval transform in one file.")]
    public string? Checkpoint { get; init; }

    [CommandOption("-m|--model <NAME>")]
    [Description("Zoo model for --weights ('visionlab models' lists them); images are prepared with torchvision's evaluation preset at the model's input size (e.g. resize 256, centre crop 224, ImageNet statistics).")]
    public string? Model { get; init; }

    [CommandOption("--weights <FILE>")]
    [Description("With --model: PyTorch state dict (.pt/.pth) or .safetensors, loaded strictly.")]
    public string? Weights { get; init; }

    [CommandOption("--num-classes <N>")]
    [Description("With --model: width of the head (default: the model's reference head, e.g. 1000).")]
    public int? NumClasses { get; init; }

    /// <summary>A class-names file (one a line) for --model; null: 'class 0', 'class 1', ...</summary>
    protected virtual string? ClassNamesFile => null;

    public override ValidationResult Validate() =>
        Checkpoint is null && Model is null ? ValidationResult.Error("give --checkpoint, or --model with --weights")
        : Checkpoint is not null && (Model ?? Weights) is not null ? ValidationResult.Error("give --checkpoint or --model with --weights, not both: a checkpoint names its model and holds its weights")
        : Checkpoint is not null && (NumClasses is not null || ClassNamesFile is not null) ? ValidationResult.Error("--num-classes and --classes go with --model; a checkpoint carries its own classes")
        : Model is not null && Weights is null ? ValidationResult.Error("--model needs --weights: untrained weights explain nothing")
        : ValidationResult.Success();

    /// <summary>Applies --threads and --device and loads the model onto that device.</summary>
    public ModelToInspect LoadModel(out Device device)
    {
        TorchRuntime.SetThreads(Threads ?? TorchRuntime.DefaultThreads);
        device = TorchRuntime.ParseDevice(Device);
        if (Checkpoint is not null)
        {
            using var checkpoint = Training.Checkpoint.Load(Checkpoint, device);
            return new ModelToInspect($"{checkpoint.Info.Model} ({Checkpoint})", checkpoint.Info.Model, checkpoint.Model, checkpoint.Info.EvalTransform, checkpoint.Info.Classes);
        }
        var info = ModelZoo.Find(Model!);
        int numClasses = NumClasses ?? info.ReferenceClasses;
        var classes = ClassNamesFile is null
            ? Enumerable.Range(0, numClasses).Select(i => $"class {i}").ToArray()
            : ReadClassNames(ClassNamesFile, numClasses);
        var model = ModelZoo.Create(info.Name, new ModelOptions(numClasses, info.DefaultInput.Channels));
        try
        {
            WeightsFile.LoadInto(model, Weights!);
            model.to(device);
            model.eval();
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return new ModelToInspect($"{info.Name} ({Weights})", info.Name, model, EvalTransform.ForPretrained(info.DefaultInput), classes);
    }

    private static string[] ReadClassNames(string path, int numClasses)
    {
        if (!File.Exists(path)) throw new VisionLabException($"--classes {path}: file not found");
        var names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        return names.Length == numClasses
            ? names
            : throw new VisionLabException($"--classes {path}: {names.Length} class names for a {numClasses}-class head (one name a line)");
    }
}
