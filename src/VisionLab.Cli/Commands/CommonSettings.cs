using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
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
