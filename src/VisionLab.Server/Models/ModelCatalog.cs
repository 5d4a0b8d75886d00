using VisionLab.Training;
using static TorchSharp.torch;

namespace VisionLab.Server.Models;

/// <summary>
/// The models a server holds, by name, each loaded once and used by every request. Names come from
/// where the checkpoint lives: a run folder's name for <c>run/checkpoints/best.ckpt</c>, else the
/// file's name without <c>.ckpt</c>. Runs trained through the API join it when they finish
/// (<see cref="AddRun"/>).
/// </summary>
public sealed class ModelCatalog : IDisposable
{
    private readonly object adding = new();
    private readonly ServerOptions options;
    private readonly Device device;
    // In the order they were loaded, those given at start first, so a page's default stays put.
    // Replaced whole when a model joins, so readers never lock; a server holds a handful.
    private volatile ServedModel[] models;

    private ModelCatalog(List<ServedModel> models, ServerOptions options, Device device)
    {
        this.models = [.. models];
        this.options = options;
        this.device = device;
    }

    /// <summary>The served models, in the order they were loaded.</summary>
    public IReadOnlyList<ServedModel> All => models;

    public ServedModel? Find(string name) => Array.Find(models, m => m.Name == name);

    /// <summary>Serves a finished run folder's best checkpoint under the folder's name. A name
    /// already served is refused: requests naming it would otherwise change model mid-stream.</summary>
    public ServedModel AddRun(string runFolder)
    {
        var (name, checkpoint) = Discover(Path.GetFullPath(runFolder)).FirstOrDefault();
        if (checkpoint is null) throw new VisionLabException($"run {runFolder} has no checkpoints/best.ckpt or last.ckpt");
        lock (adding)
        {
            if (Find(name) is not null) throw new VisionLabException($"a model called '{name}' is already served");
            var model = ServedModel.Load(name, checkpoint, options, device);
            models = [.. models, model];
            return model;
        }
    }

    /// <summary>
    /// Loads what <paramref name="location"/> holds: a checkpoint file, a run folder (its best
    /// checkpoint, else its last), or a folder of checkpoints and run folders. A location with no
    /// model in it is an error, so a mistyped path does not start an empty service.
    /// </summary>
    public static ModelCatalog Load(string location, ServerOptions options, Device device)
    {
        string path = Path.GetFullPath(location);
        var found = Discover(path).ToList();
        if (found.Count == 0)
            throw new VisionLabException(File.Exists(path) || Directory.Exists(path)
                ? $"--models {path}: no checkpoint (.ckpt) or run folder with checkpoints/best.ckpt in it"
                : $"--models {path}: no such file or folder");
        var loaded = new List<ServedModel>();
        try
        {
            foreach (var (name, checkpoint) in found)
            {
                if (loaded.Find(m => m.Name == name) is { } twin)
                    throw new VisionLabException($"two models are called '{name}' ({twin.Checkpoint} and {checkpoint}); rename one");
                loaded.Add(ServedModel.Load(name, checkpoint, options, device));
            }
            return new ModelCatalog(loaded, options, device);
        }
        catch
        {
            foreach (var model in loaded) model.Dispose();
            throw;
        }
    }

    private static IEnumerable<(string Name, string Checkpoint)> Discover(string path)
    {
        if (File.Exists(path))
        {
            yield return (NameOf(path), path);
            yield break;
        }
        if (!Directory.Exists(path)) yield break;
        if (RunCheckpoint(path) is { } own)
        {
            yield return (Path.GetFileName(path), own);
            yield break;
        }
        foreach (string entry in Directory.EnumerateFileSystemEntries(path).Order(StringComparer.Ordinal))
        {
            if (File.Exists(entry) && entry.EndsWith(".ckpt", StringComparison.Ordinal)) yield return (NameOf(entry), entry);
            else if (Directory.Exists(entry) && RunCheckpoint(entry) is { } best) yield return (Path.GetFileName(entry), best);
        }
    }

    private static string? RunCheckpoint(string folder) =>
        new[] { "best.ckpt", "last.ckpt" }.Select(f => Path.Combine(folder, "checkpoints", f)).FirstOrDefault(File.Exists);

    private static string NameOf(string checkpoint)
    {
        var folder = Directory.GetParent(checkpoint);
        return folder is { Name: "checkpoints", Parent: { } run } ? run.Name : Path.GetFileNameWithoutExtension(checkpoint);
    }

    public void Dispose()
    {
        foreach (var model in models) model.Dispose();
        models = [];
    }
}
