using System.Text.Json;
using SkiaSharp;
using VisionLab.Data.Folders;
using VisionLab.Tests.Support;

namespace VisionLab.Tests.Data.Folders;

/// <summary>
/// The class-per-folder layout most users arrive with: classes and labels as torchvision's
/// ImageFolder gives them, a split that is stratified and reproducible, and an inspection that
/// names every file a run would trip on.
/// </summary>
public class ImageFolderTests
{
    [Fact]
    public void Classes_are_the_sub_folders_in_ordinal_order_and_files_are_found_at_any_depth()
    {
        using var temp = new TempFolder();
        WriteImages(temp.Path, ("tulips", 2), ("Daisy", 1), ("roses", 3), ("daisy", 2));
        WritePng(Path.Combine(temp.Path, "roses", "more", "deep.png"), 5, 7);
        File.WriteAllText(Path.Combine(temp.Path, "roses", "notes.txt"), "not an image");
        File.WriteAllText(Path.Combine(temp.Path, "roses", ".hidden.png"), "ignored");

        var folder = ImageFolder.Scan(temp.Path);

        Assert.Equal(["Daisy", "daisy", "roses", "tulips"], folder.Classes); // Python's sorted(): by code point
        Assert.Equal([1, 2, 4, 2], Enumerable.Range(0, 4).Select(folder.CountOf));
        Assert.Equal(1, folder.OtherFiles);
        Assert.Contains(folder.Files, f => f.Path.EndsWith("deep.png") && f.Label == 2);
        Assert.Equal(folder.Files.Select(f => f.Path), ImageFolder.Scan(temp.Path).Files.Select(f => f.Path));
    }

    [Fact]
    public void A_validation_folder_takes_the_training_classes_and_refuses_a_class_they_lack()
    {
        using var temp = new TempFolder();
        WriteImages(Path.Combine(temp.Path, "val"), ("b", 1));
        var val = ImageFolder.Scan(Path.Combine(temp.Path, "val"), ["a", "b"]);
        Assert.Equal(1, val.Files.Single().Label);
        Assert.Single(val.EmptyClasses, p => p.EndsWith("a"));

        WriteImages(Path.Combine(temp.Path, "val"), ("c", 1));
        var error = Assert.Throws<DataFormatException>(() => ImageFolder.Scan(Path.Combine(temp.Path, "val"), ["a", "b"]));
        Assert.Contains("class 'c' is not one of the 2 training classes", error.Message);
    }

    [Fact]
    public void Empty_class_folders_and_missing_or_flat_folders_get_errors_that_name_them()
    {
        using var temp = new TempFolder();
        WriteImages(temp.Path, ("cats", 2));
        Directory.CreateDirectory(Path.Combine(temp.Path, "dogs"));
        var folder = ImageFolder.Scan(temp.Path);
        var error = Assert.Throws<DataFormatException>(() => folder.RequireEveryClass());
        Assert.EndsWith("dogs", error.Path);
        Assert.Contains("holds no images", error.Message);

        Assert.Contains("does not exist", Assert.Throws<VisionLabException>(() => ImageFolder.Scan(temp.File("nowhere"))).Message);
        using var flat = new TempFolder();
        WritePng(flat.File("loose.png"), 4, 4);
        Assert.Contains("no class folders", Assert.Throws<DataFormatException>(() => ImageFolder.Scan(flat.Path)).Message);
    }

    [Fact]
    public void Split_is_stratified_reproducible_and_leaves_the_source_alone()
    {
        using var temp = new TempFolder();
        string source = Path.Combine(temp.Path, "photos");
        WriteImages(source, ("a", 10), ("b", 5), ("c", 1));
        var counts = FolderSplit.Split(source, Path.Combine(temp.Path, "one"), 0.2, seed: 7);
        FolderSplit.Split(source, Path.Combine(temp.Path, "two"), 0.2, seed: 7);
        FolderSplit.Split(source, Path.Combine(temp.Path, "three"), 0.2, seed: 8);

        Assert.Equal([new SplitCounts("a", 8, 2), new SplitCounts("b", 4, 1), new SplitCounts("c", 1, 0)], counts);
        Assert.Equal(16, ImageFolder.Scan(source).Files.Count);
        Assert.Equal(ValFiles(temp.Path, "one"), ValFiles(temp.Path, "two"));
        Assert.NotEqual(ValFiles(temp.Path, "one"), ValFiles(temp.Path, "three"));
        var train = ImageFolder.Scan(Path.Combine(temp.Path, "one", "train"));
        Assert.Equal(13, train.Files.Count);
        Assert.Equal(["a", "b", "c"], JsonSerializer.Deserialize<string[]>(File.ReadAllText(Path.Combine(temp.Path, "one", "classes.json")))!);
        Assert.Empty(ValFiles(temp.Path, "one").Intersect(train.Files.Select(f => Path.GetRelativePath(Path.Combine(temp.Path, "one", "train"), f.Path))));

        var error = Assert.Throws<VisionLabException>(() => FolderSplit.Split(source, Path.Combine(temp.Path, "one"), 0.2, seed: 7));
        Assert.Contains("not empty", error.Message);
        Assert.Throws<VisionLabException>(() => FolderSplit.Split(source, Path.Combine(temp.Path, "four"), 1.5, seed: 7));
    }

    [Fact]
    public void Inspect_counts_classes_measures_sizes_and_names_every_unreadable_file()
    {
        using var temp = new TempFolder();
        WriteImages(temp.Path, ("a", 3), ("b", 2));
        WritePng(Path.Combine(temp.Path, "b", "wide.png"), 40, 10);
        File.WriteAllText(Path.Combine(temp.Path, "a", "text.jpg"), "this is text, not a JPEG");
        File.WriteAllBytes(Path.Combine(temp.Path, "b", "empty.png"), []);
        byte[] png = File.ReadAllBytes(Path.Combine(temp.Path, "b", "wide.png"));
        File.WriteAllBytes(Path.Combine(temp.Path, "b", "truncated.png"), png[..(png.Length / 2)]);
        Directory.CreateDirectory(Path.Combine(temp.Path, "c"));

        var report = FolderInspection.Inspect(temp.Path);

        Assert.Equal([("a", 4), ("b", 5), ("c", 0)], report.Classes);
        Assert.Single(report.EmptyClasses, p => p.EndsWith("c"));
        Assert.Equal(["empty.png", "text.jpg", "truncated.png"], report.Unreadable.Select(u => Path.GetFileName(u.Path)).Order());
        Assert.All(report.Unreadable, u => Assert.False(string.IsNullOrWhiteSpace(u.Problem)));
        Assert.Equal(new SizeRange(6, 6, 40), report.Width);
        Assert.Equal(new SizeRange(6, 6, 10), report.Height);
    }

    [Fact]
    public void Cli_splits_then_inspects_and_exits_3_when_something_needs_attention()
    {
        using var temp = new TempFolder();
        string source = Path.Combine(temp.Path, "photos");
        WriteImages(source, ("x", 5), ("y", 5));
        var split = CliRunner.Run("data", "split", source, Path.Combine(temp.Path, "split"), "--val", "0.4", "--seed", "3", "--json");
        Assert.True(split.ExitCode == 0, split.Stderr);
        using (var json = JsonDocument.Parse(split.Stdout))
            Assert.Equal([2, 2], json.RootElement.GetProperty("classes").EnumerateArray().Select(c => c.GetProperty("val").GetInt32()));

        var clean = CliRunner.Run("data", "inspect", Path.Combine(temp.Path, "split", "train"));
        Assert.True(clean.ExitCode == 0, clean.Stderr);
        Assert.Contains("Image sizes: width 6–6", clean.Stdout);

        File.WriteAllText(Path.Combine(temp.Path, "split", "train", "x", "bad.png"), "nope");
        var dirty = CliRunner.Run("data", "inspect", Path.Combine(temp.Path, "split", "train"));
        Assert.Equal(3, dirty.ExitCode);
        Assert.Contains("bad.png", dirty.Stdout);
    }

    [Fact]
    public void Cli_preview_draws_every_class_as_the_training_preset_sees_it()
    {
        using var temp = new TempFolder();
        WriteImages(temp.Path, ("x", 3), ("y", 3), ("z", 3));
        string png = temp.File("preview.png");
        var result = CliRunner.Run("data", "preview", temp.Path, "--augment", "--image-size", "32", "--count", "6", "--out", png, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var grid = SKBitmap.Decode(png);
        // 3 columns (ceil of sqrt 6) and 2 rows of 32-pixel cells with captions under them.
        Assert.InRange(grid.Width, 3 * 32, 3 * 32 + 40);
        Assert.InRange(grid.Height, 2 * 32 + 36, 2 * (32 + 26) + 40);
        Assert.Contains("\"images\": 6", result.Stdout);
    }

    private static IEnumerable<string> ValFiles(string root, string split) =>
        ImageFolder.Scan(Path.Combine(root, split, "val"), ["a", "b", "c"]).Files.Select(f => Path.GetRelativePath(Path.Combine(root, split, "val"), f.Path));

    private static void WriteImages(string root, params (string Class, int Count)[] classes)
    {
        foreach (var (name, count) in classes)
            for (int i = 0; i < count; i++)
                WritePng(Path.Combine(root, name, $"{name}_{i:D3}.png"), 6, 6, (byte)(i * 20));
    }

    private static void WritePng(string path, int width, int height, byte shade = 128)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(new SKColor(shade, (byte)(255 - shade), 60));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }
}
