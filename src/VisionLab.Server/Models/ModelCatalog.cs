using VisionLab.Training;
using static TorchSharp.torch;

namespace VisionLab.Server.Models;

/// <summary>
/// The models a server holds, by name, each loaded once and used by every request. Names come from
/// where the checkpoint lives: a run folder's name for <c>run/checkpoints/best.ckpt</c>, else the
/// file's name without <c>.ckpt</c>.
/// </summary>
public sealed class ModelCatalog : IDisposable
{
    private readonly Dictionary<string, ServedModel> models;

    private ModelCatalog(Dictionary<string, ServedModel> models) => this.models = models;

    public IReadOnlyCollection<ServedModel> All => models.Values;

    public ServedModel? Find(string name) => models.GetValueOrDefault(name);

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
        var loaded = new Dictionary<string, ServedModel>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, checkpoint) in found)
            {
                if (loaded.ContainsKey(name))
                    throw new VisionLabException($"two models are called '{name}' ({loaded[name].Checkpoint} and {checkpoint}); rename one");
                loaded[name] = ServedModel.Load(name, checkpoint, options, device);
            }
            return new ModelCatalog(loaded);
        }
        catch
        {
            foreach (var model in loaded.Values) model.Dispose();
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
        foreach (var model in models.Values) model.Dispose();
        models.Clear();
    }
}
