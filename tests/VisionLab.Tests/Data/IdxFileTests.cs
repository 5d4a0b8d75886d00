using VisionLab.Data;
using VisionLab.Data.Idx;
using VisionLab.Tests.Support;

namespace VisionLab.Tests.Data;

public class IdxFileTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_raw_and_gzip_files_alike(bool gzip)
    {
        using var dir = new TempFolder();
        var data = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)i).ToArray();
        byte[] raw = IdxWriter.Encode([2, 3, 4], data);
        string path = dir.File("images.idx");
        File.WriteAllBytes(path, gzip ? IdxWriter.Gzip(raw) : raw);

        var idx = IdxFile.Read(path);

        Assert.Equal(new[] { 2, 3, 4 }, idx.Shape);
        Assert.Equal(data, idx.Data);
    }

    [Fact]
    public void Reads_the_real_fashion_mnist_test_images()
    {
        var idx = IdxFile.Read(Path.Combine(ImageClassificationData.FashionMnistFolder, "t10k-images-idx3-ubyte.gz"));
        Assert.Equal(new[] { 10_000, 28, 28 }, idx.Shape);
    }

    [Fact]
    public void A_truncated_gzip_file_is_refused_with_its_path()
    {
        using var dir = new TempFolder();
        byte[] gz = IdxWriter.Gzip(IdxWriter.Encode([100, 28, 28], new byte[100 * 28 * 28]));
        string path = dir.File("train-images-idx3-ubyte.gz");
        File.WriteAllBytes(path, gz[..(gz.Length / 2)]);

        var e = Assert.Throws<DataFormatException>(() => IdxFile.Read(path));

        Assert.StartsWith(path, e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Data_shorter_than_the_header_declares_is_refused()
    {
        using var dir = new TempFolder();
        byte[] raw = IdxWriter.Encode([10, 28, 28], new byte[10 * 28 * 28]);
        string path = dir.File("short.idx");
        File.WriteAllBytes(path, raw[..^100]);

        var e = Assert.Throws<DataFormatException>(() => IdxFile.Read(path));

        Assert.Contains("truncated", e.Message);
        Assert.Contains("7,740", e.Message);
    }

    [Fact]
    public void A_wrong_magic_number_is_refused()
    {
        using var dir = new TempFolder();
        string path = dir.File("notidx.gz");
        byte[] raw = IdxWriter.Encode([4], [1, 2, 3, 4]);
        raw[0] = 0x50;
        File.WriteAllBytes(path, IdxWriter.Gzip(raw));

        var e = Assert.Throws<DataFormatException>(() => IdxFile.Read(path));

        Assert.Contains("magic number 0x50", e.Message);
    }

    [Fact]
    public void An_element_type_other_than_unsigned_byte_is_named()
    {
        using var dir = new TempFolder();
        string path = dir.File("floats.idx");
        File.WriteAllBytes(path, IdxWriter.Encode([1], new byte[4], type: 0x0D));

        var e = Assert.Throws<DataFormatException>(() => IdxFile.Read(path));

        Assert.Contains("0x0D (float32)", e.Message);
    }

    [Fact]
    public void Trailing_bytes_after_the_data_are_refused()
    {
        using var dir = new TempFolder();
        string path = dir.File("long.idx");
        File.WriteAllBytes(path, [.. IdxWriter.Encode([3], [1, 2, 3]), 9]);

        var e = Assert.Throws<DataFormatException>(() => IdxFile.Read(path));

        Assert.Contains("beyond", e.Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var e = Assert.Throws<DataFormatException>(() => IdxFile.Read("/nonexistent/train-images-idx3-ubyte.gz"));
        Assert.Equal("/nonexistent/train-images-idx3-ubyte.gz: file not found", e.Message);
    }

    [Fact]
    public void Label_and_image_counts_that_disagree_are_refused()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("images"), IdxWriter.Encode([5, 2, 2], new byte[20]));
        File.WriteAllBytes(dir.File("labels"), IdxWriter.Encode([4], new byte[4]));

        var e = Assert.Throws<DataFormatException>(() =>
            IdxDataset.Load(dir.File("images"), dir.File("labels"), ["a", "b"], "test"));

        Assert.StartsWith(dir.File("labels"), e.Message);
        Assert.Contains("4 labels but images holds 5 images", e.Message);
    }

    [Fact]
    public void A_label_beyond_the_class_list_is_refused()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("images"), IdxWriter.Encode([2, 2, 2], new byte[8]));
        File.WriteAllBytes(dir.File("labels"), IdxWriter.Encode([2], [0, 7]));

        var e = Assert.Throws<DataFormatException>(() =>
            IdxDataset.Load(dir.File("images"), dir.File("labels"), ["a", "b"], "test"));

        Assert.Contains("label 7 at item 1", e.Message);
    }

    [Fact]
    public void Images_of_the_wrong_rank_are_refused()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("images"), IdxWriter.Encode([8], new byte[8]));
        File.WriteAllBytes(dir.File("labels"), IdxWriter.Encode([8], new byte[8]));

        var e = Assert.Throws<DataFormatException>(() =>
            IdxDataset.Load(dir.File("images"), dir.File("labels"), ["a"], "test"));

        Assert.Contains("rank 1", e.Message);
    }

    [Fact]
    public void A_folder_of_idx_files_opens_with_classes_from_classes_txt()
    {
        using var dir = new TempFolder();
        IdxWriter.WriteDataFolder(dir.Path, count: 30, classes: 3);
        File.WriteAllLines(dir.File("classes.txt"), ["dark", "grey", "light"]);

        var data = ImageClassificationData.Open(dir.Path);

        Assert.Equal(["dark", "grey", "light"], data.Classes);
        Assert.Equal(30, data.Train.Count);
        Assert.Equal(new ImageShape(1, 28, 28), data.Train.ImageShape);
    }

    [Fact]
    public void A_folder_without_the_expected_files_says_which_is_missing()
    {
        using var dir = new TempFolder();
        var e = Assert.Throws<VisionLabException>(() => ImageClassificationData.Open(dir.Path));
        Assert.Contains("no train-images-idx3-ubyte or train-images-idx3-ubyte.gz", e.Message);
    }
}
