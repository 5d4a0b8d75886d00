namespace VisionLab.Data.Folders;

/// <summary>One image file of an <see cref="ImageFolder"/> and the index of its class.</summary>
public readonly record struct LabelledFile(string Path, int Label);

/// <summary>
/// A folder of photos sorted into one sub-folder per class — <c>root/&lt;class&gt;/&lt;image&gt;</c>,
/// the layout of torchvision's <c>ImageFolder</c> and of most downloaded data sets. Class names are
/// the sub-folders' names in ordinal order (Python's <c>sorted</c>), so a label means the same class
/// here and in PyTorch; files are found at any depth under their class folder, in ordinal order of
/// their relative paths, so every scan of the same folder lists the same samples.
/// </summary>
public sealed class ImageFolder
{
    /// <summary>File name endings taken as images (any case); other files are counted and left alone.</summary>
    public static readonly IReadOnlyList<string> Extensions = [".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif"];

    private ImageFolder(string root, IReadOnlyList<string> classes, IReadOnlyList<LabelledFile> files,
        IReadOnlyList<string> emptyClasses, int otherFiles)
    {
        Root = root;
        Classes = classes;
        Files = files;
        EmptyClasses = emptyClasses;
        OtherFiles = otherFiles;
    }

    public string Root { get; }
    public IReadOnlyList<string> Classes { get; }
    public IReadOnlyList<LabelledFile> Files { get; }

    /// <summary>Class folders holding no image file.</summary>
    public IReadOnlyList<string> EmptyClasses { get; }

    /// <summary>Files under the class folders that are not images by their name (skipped).</summary>
    public int OtherFiles { get; }

    public int CountOf(int label) => Files.Count(f => f.Label == label);

    /// <summary>
    /// Lists <paramref name="root"/>. With <paramref name="classes"/> (a validation folder opened with
    /// the training folder's classes) labels follow that list, and a class folder not in it is an
    /// error; otherwise the sub-folders are the classes. Hidden files and folders (names starting with
    /// '.') are ignored. Call <see cref="RequireEveryClass"/> before training on the result.
    /// </summary>
    public static ImageFolder Scan(string root, IReadOnlyList<string>? classes = null)
    {
        if (!Directory.Exists(root))
            throw new VisionLabException(File.Exists(root)
                ? $"{root} is a file; give a folder with one sub-folder of images per class"
                : $"image folder {root} does not exist");
        string full = Path.GetFullPath(root);
        var folders = new DirectoryInfo(full).EnumerateDirectories()
            .Where(d => !d.Name.StartsWith('.'))
            .OrderBy(d => d.Name, StringComparer.Ordinal)
            .ToList();
        if (folders.Count == 0)
        {
            bool loose = new DirectoryInfo(full).EnumerateFiles().Any(f => IsImageName(f.Name));
            throw new DataFormatException(full, loose
                ? "holds images but no class folders: put each class's images in a sub-folder named after the class"
                : "holds no class folders (expected root/<class>/<image>)");
        }
        var names = classes ?? folders.Select(d => d.Name).ToList();
        var labelOf = names.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
        var files = new List<LabelledFile>();
        var empty = new List<string>();
        int others = 0;
        foreach (var folder in folders)
        {
            if (!labelOf.TryGetValue(folder.Name, out int label))
                throw new DataFormatException(folder.FullName,
                    $"class '{folder.Name}' is not one of the {names.Count} training classes ({string.Join(", ", names.Take(10))}{(names.Count > 10 ? ", ..." : "")})");
            var inside = new List<string>();
            foreach (var file in EnumerateVisible(folder))
            {
                if (IsImageName(file.Name)) inside.Add(file.FullName);
                else others++;
            }
            if (inside.Count == 0) empty.Add(folder.FullName);
            inside.Sort(StringComparer.Ordinal);
            files.AddRange(inside.Select(path => new LabelledFile(path, label)));
        }
        // Classes given but without a folder here hold no images either.
        empty.AddRange(names.Where(n => folders.All(f => f.Name != n)).Select(n => Path.Combine(full, n)));
        return new ImageFolder(full, names, files, empty, others);
    }

    /// <summary>Fails, naming them, when some classes have no images: a model cannot learn them and
    /// accuracy figures would silently leave them out.</summary>
    public ImageFolder RequireEveryClass()
    {
        if (EmptyClasses.Count > 0)
            throw new DataFormatException(EmptyClasses[0], EmptyClasses.Count == 1
                ? $"class folder holds no images (file names ending in {string.Join(", ", Extensions)})"
                : $"class folder holds no images, nor do {EmptyClasses.Count - 1} more: {string.Join(", ", EmptyClasses.Skip(1).Select(Path.GetFileName))}");
        if (Files.Count == 0) throw new DataFormatException(Root, "holds no images");
        return this;
    }

    public static bool IsImageName(string name) =>
        !name.StartsWith('.') && Extensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<FileInfo> EnumerateVisible(DirectoryInfo folder)
    {
        foreach (var file in folder.EnumerateFiles())
            if (!file.Name.StartsWith('.')) yield return file;
        // Linked folders inside a class folder are not followed: a link to an ancestor would never end.
        foreach (var sub in folder.EnumerateDirectories().Where(d => !d.Name.StartsWith('.') && d.LinkTarget is null))
            foreach (var file in EnumerateVisible(sub))
                yield return file;
    }
}
