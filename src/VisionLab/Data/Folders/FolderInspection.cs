using System.Collections.Concurrent;
using VisionLab.Data.Images;

namespace VisionLab.Data.Folders;

/// <summary>A file that could not be used, and why.</summary>
public sealed record UnreadableFile(string Path, string Problem);

/// <summary>Smallest, median and largest of a size measure over a folder's readable images.</summary>
public sealed record SizeRange(int Min, int Median, int Max);

/// <summary>What <c>visionlab data inspect</c> reports about an image folder.</summary>
public sealed record FolderReport(
    string Root,
    IReadOnlyList<(string Class, int Images)> Classes,
    IReadOnlyList<string> EmptyClasses,
    int OtherFiles,
    SizeRange? Width,
    SizeRange? Height,
    IReadOnlyList<UnreadableFile> Unreadable)
{
    public int Images => Classes.Sum(c => c.Images);
}

/// <summary>
/// Looks at every image of a folder before a long run does: class counts (an imbalance to know
/// about), image sizes (what resize makes sense), and every file that does not decode — fully
/// decoded, since a truncated JPEG shows its fault only at the end of its data.
/// </summary>
public static class FolderInspection
{
    public static FolderReport Inspect(string root, ImageDecoder? decoder = null, CancellationToken cancellation = default)
    {
        decoder ??= ImageDecoder.Default;
        var folder = ImageFolder.Scan(root);
        var sizes = new ConcurrentBag<(int Width, int Height)>();
        var unreadable = new ConcurrentBag<UnreadableFile>();
        Parallel.ForEach(folder.Files, new ParallelOptions { CancellationToken = cancellation }, file =>
        {
            try
            {
                using var image = decoder.Decode(file.Path, 3);
                sizes.Add((image.Width, image.Height));
            }
            catch (DataFormatException e)
            {
                unreadable.Add(new UnreadableFile(file.Path, e.Problem));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                unreadable.Add(new UnreadableFile(file.Path, e.Message));
            }
        });
        var classes = folder.Classes.Select((name, label) => (name, folder.CountOf(label))).ToList();
        return new FolderReport(folder.Root, classes, folder.EmptyClasses, folder.OtherFiles,
            Range(sizes.Select(s => s.Width)), Range(sizes.Select(s => s.Height)),
            unreadable.OrderBy(u => u.Path, StringComparer.Ordinal).ToList());
    }

    private static SizeRange? Range(IEnumerable<int> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? null : new SizeRange(sorted[0], sorted[sorted.Length / 2], sorted[^1]);
    }
}
