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
    public string CurvesImage => Path.Combine(Root, "curves.png");
    public string ConfusionMatrixImage => Path.Combine(Root, "confusion_matrix.png");
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

    public void WriteJson<T>(string path, T value) =>
        AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(value, Checkpoint.Json));
}
