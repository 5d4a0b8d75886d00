using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Inference;
using VisionLab.Runtime;
using VisionLab.Training;

namespace VisionLab.Cli.Commands;

/// <summary>Options every verb takes.</summary>
public abstract class CommonSettings : CommandSettings
{
    [CommandOption("--json")]
    [Description("Write machine-readable JSON to stdout instead of tables.")]
    public bool Json { get; init; }

    [CommandOption("--verbose")]
    [Description("Show the full stack trace when something fails.")]
    public bool Verbose { get; init; }
}

/// <summary>Options of verbs that run a model.</summary>
public abstract class ComputeSettings : CommonSettings
{
    [CommandOption("--threads <N>")]
    [Description("Intra-op CPU threads (default: all cores).")]
    public int? Threads { get; init; }

    [CommandOption("--device <DEVICE>")]
    [Description("cpu or cuda (needs the CUDA TorchSharp package, see README).")]
    [DefaultValue("cpu")]
    public string Device { get; init; } = "cpu";
}

/// <summary>Options of verbs that use a trained model.</summary>
public abstract class CheckpointSettings : ComputeSettings
{
    [CommandOption("-c|--checkpoint <FILE>")]
    [Description("Checkpoint written by 'visionlab train' (a run's checkpoints/best.ckpt or last.ckpt).")]
    public string Checkpoint { get; init; } = "";

    public override ValidationResult Validate() =>
        string.IsNullOrEmpty(Checkpoint) ? ValidationResult.Error("--checkpoint is required") : ValidationResult.Success();

    /// <summary>Applies --threads and --device and loads the checkpoint's model onto that device.</summary>
    public LoadedCheckpoint LoadCheckpoint(out TorchSharp.torch.Device device)
    {
        TorchRuntime.SetThreads(Threads ?? TorchRuntime.DefaultThreads);
        device = TorchRuntime.ParseDevice(Device);
        return Training.Checkpoint.Load(Checkpoint, device);
    }
}

/// <summary>Options of verbs that score images with a trained model, each alone or with its mirror.</summary>
public abstract class ScoringSettings : CheckpointSettings
{
    [CommandOption("--tta <VIEWS>")]
    [Description("Test-time augmentation: 'hflip' averages each image's class probabilities with its mirror's (for data trained " +
                 "with hflip, whose classes survive a mirror; twice the time); 'none' scores the images as they are.")]
    [DefaultValue("none")]
    public string Tta { get; init; } = "none";

    public bool Mirrored => Tta == MirrorAveraged.Name;

    public override ValidationResult Validate() =>
        base.Validate() is { Successful: false } checkpoint ? checkpoint
        : Tta is not ("none" or MirrorAveraged.Name) ? ValidationResult.Error($"--tta {Tta}: expected none or {MirrorAveraged.Name}")
        : ValidationResult.Success();
}
