using System.ComponentModel;
using Spectre.Console.Cli;

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
