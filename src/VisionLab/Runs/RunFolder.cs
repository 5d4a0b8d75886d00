using System.Text.Json;
using VisionLab.Training;

namespace VisionLab.Runs;

/// <summary>
/// The layout of one training run on disk. Every writer goes through here, and every write is
/// atomic, so a folder read mid-run (or after a crash) holds only whole files.
/// </summary>
public sealed class RunFolder
{
    private RunFolder(string root) => Root = root;

    public string Root { get; }
    public string CheckpointsFolder => Path.Combine(Root, "checkpoints");
    public string BestCheckpoint => Path.Combine(CheckpointsFolder, "best.ckpt");
    public string LastCheckpoint => Path.Combine(CheckpointsFolder, "last.ckpt");
    public string MetricsFile => Path.Combine(Root, "metrics.json");
    public string ConfigFile => Path.Combine(Root, "config.json");
    /// <summary>The resolved config as YAML: <c>visionlab train --config</c> repeats the run from it.</summary>
    public string ConfigYaml => Path.Combine(Root, "config.yaml");
    /// <summary>TensorBoard event files (<c>train --tensorboard</c>); <c>tensorboard --logdir runs</c> finds every run's.</summary>
    public string TensorBoardFolder => Path.Combine(Root, "tensorboard");
    public string CurvesImage => Path.Combine(Root, "curves.png");
    public string ConfusionMatrixImage => Path.Combine(Root, Reporting.EvaluationReport.ConfusionMatrixFile);
    /// <summary>The latest evaluation in full (top-5, classification report, every mistake).</summary>
    public string EvaluationFile => Path.Combine(Root, Reporting.EvaluationReport.JsonFile);
    /// <summary>The latest evaluation's most confident mistakes as a picture grid.</summary>
    public string MisclassifiedImage => Path.Combine(Root, Reporting.EvaluationReport.MisclassifiedFile);
    /// <summary>Before-and-after figures of a pruned model (written by <c>visionlab prune</c>).</summary>
    public string PruningReport => Path.Combine(Root, "pruning.json");

    /// <summary>
    /// Creates the folder: <paramref name="requested"/> if given, else <c>runs/&lt;timestamp&gt;-&lt;model&gt;</c>.
    /// A folder that already holds a run is refused rather than mixed with a new one.
    /// </summary>
    public static RunFolder Create(string? requested, string model, DateTime now)
    {
        string root = Path.GetFullPath(requested ?? Path.Combine("runs", $"{now:yyyyMMdd-HHmmss}-{model}"));
        if (File.Exists(root))
            throw new VisionLabException($"--out {root} is a file, not a folder");
        if (File.Exists(Path.Combine(root, "metrics.json")) || Directory.Exists(Path.Combine(root, "checkpoints")))
            throw new VisionLabException($"{root} already holds a run; choose another --out or remove it");
        Directory.CreateDirectory(root);
        return new RunFolder(root);
    }

    /// <summary>An existing run folder, to resume: it must hold the run's config and last checkpoint.</summary>
    public static RunFolder Open(string path)
    {
        string root = Path.GetFullPath(path);
        if (!Directory.Exists(root)) throw new VisionLabException($"--resume {root}: no such run folder");
        var run = new RunFolder(root);
        if (!File.Exists(run.ConfigFile)) throw new VisionLabException($"--resume {root}: not a run folder (no config.json)");
        if (!File.Exists(run.LastCheckpoint))
            throw new VisionLabException($"--resume {root}: no checkpoints/last.ckpt, so no epoch finished; start the run again");
        return run;
    }

    public void WriteJson<T>(string path, T value) =>
        AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(value, Checkpoint.Json));
}
