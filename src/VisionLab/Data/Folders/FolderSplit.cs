using System.Text.Json;
using VisionLab.Runs;

namespace VisionLab.Data.Folders;

/// <summary>How many images of each class went to each side of a split.</summary>
public sealed record SplitCounts(string Class, int Train, int Val);

/// <summary>
/// Makes <c>DST/train/&lt;class&gt;/…</c> and <c>DST/val/&lt;class&gt;/…</c> from one image folder,
/// stratified and reproducible (<see cref="StratifiedSplit"/>). Files are copied, so the source
/// stays as it was; <c>classes.json</c> records the class order.
/// </summary>
public static class FolderSplit
{
    public static IReadOnlyList<SplitCounts> Split(string source, string destination, double valFraction, int seed)
    {
        var folder = ImageFolder.Scan(source).RequireEveryClass();
        string target = Path.GetFullPath(destination);
        if (target.StartsWith(folder.Root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || target == folder.Root)
            throw new VisionLabException($"{destination} is inside {source}; the split would be scanned as classes next time");
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new VisionLabException($"{destination} is not empty; give a new folder (nothing was copied)");

        var (train, val) = StratifiedSplit.Pick(folder.Files, folder.Classes.Count, valFraction, seed);
        foreach (var (side, files) in new[] { ("train", train), ("val", val) })
            foreach (var file in files)
            {
                string name = folder.Classes[file.Label];
                string copy = Path.Combine(target, side, name, Path.GetRelativePath(Path.Combine(folder.Root, name), file.Path));
                Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
                File.Copy(file.Path, copy);
            }
        var counts = folder.Classes.Select((name, label) =>
            new SplitCounts(name, train.Count(f => f.Label == label), val.Count(f => f.Label == label))).ToList();
        AtomicFile.WriteAllText(Path.Combine(target, "classes.json"), JsonSerializer.Serialize(folder.Classes));
        return counts;
    }
}
