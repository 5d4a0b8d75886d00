using SkiaSharp;
using VisionLab.Data;
using VisionLab.Data.Transforms;
using VisionLab.Tests.Support;
using RandomErasing = VisionLab.Data.Transforms.Images.RandomErasing;

namespace VisionLab.Tests.Data;

public class PixelAugmentationTests
{
    private static readonly ImageShape Shape = new(2, 3, 4);

    // Pixel value = 100·channel + 10·row + column + 1, so every pixel says where it came from.
    private static byte[] Ramp() =>
        [.. from c in Enumerable.Range(0, 2) from y in Enumerable.Range(0, 3) from x in Enumerable.Range(0, 4) select (byte)(100 * c + 10 * y + x + 1)];

    /// <summary>A generator whose draws are fixed, to place the crop window exactly.</summary>
    private sealed class Fixed(params int[] draws) : Random
    {
        private int next;
        public override int Next(int maxValue) => draws[next++];
        public override double NextDouble() => draws[next++] / 100.0;
    }

    [Fact]
    public void Random_crop_shifts_the_image_and_fills_with_black_as_torchvisions_padded_crop()
    {
        var image = Ramp();
        // Padding 2, window at (row 3, column 1) of the padded image: a shift of +1 row and −1 column.
        new RandomCrop(2).Apply(image, Shape, new Fixed(3, 1));
        byte[] expected =
        [
            0, 11, 12, 13, 0, 21, 22, 23, 0, 0, 0, 0,
            0, 111, 112, 113, 0, 121, 122, 123, 0, 0, 0, 0,
        ];
        Assert.Equal(expected, image);
    }

    [Fact]
    public void Horizontal_flip_mirrors_every_row_of_every_channel()
    {
        var image = Ramp();
        new RandomHorizontalFlip().Apply(image, Shape, new Fixed(10)); // 0.10 < 0.5: flip
        Assert.Equal(new byte[] { 4, 3, 2, 1 }, image[..4]);
        Assert.Equal(new byte[] { 124, 123, 122, 121 }, image[^4..]);

        var unflipped = Ramp();
        new RandomHorizontalFlip().Apply(unflipped, Shape, new Fixed(90));
        Assert.Equal(Ramp(), unflipped);
    }

    [Fact]
    public void Augmented_epochs_are_reproducible_differ_from_each_other_and_keep_the_shuffle_order()
    {
        var pixels = Enumerable.Range(0, 40).SelectMany(i => Ramp().Select(p => (byte)(p + i))).ToArray();
        var dataset = new InMemoryImageDataset("ramps", ["a", "b"], Shape, pixels, [.. Enumerable.Range(0, 40).Select(i => (byte)(i % 2))]);
        var augment = PixelAugmentations.Parse("crop:1,hflip");
        var normalize = new Normalize([0f, 0f], [1f / 255f, 1f / 255f]);
        float[] Epoch(DataLoader loader, int epoch) => [.. loader.Epoch(epoch).SelectMany(b => { using (b) return b.Images.data<float>().ToArray(); })];
        long[] Labels(DataLoader loader, int epoch) => [.. loader.Epoch(epoch).SelectMany(b => { using (b) return b.Labels.data<long>().ToArray(); })];

        var a = new DataLoader(dataset, 8, normalize, shuffle: true, seed: 5, augmentation: augment);
        var b = new DataLoader(dataset, 8, normalize, shuffle: true, seed: 5, augmentation: augment);
        var plain = new DataLoader(dataset, 8, normalize, shuffle: true, seed: 5);

        Assert.Equal(Epoch(a, 0), Epoch(b, 0));
        Assert.NotEqual(Epoch(a, 0), Epoch(a, 1));
        Assert.NotEqual(Epoch(plain, 0), Epoch(a, 0));
        Assert.Equal(Labels(plain, 0), Labels(a, 0));
    }

    [Theory]
    [InlineData("crop:0")]
    [InlineData("crop:x")]
    [InlineData("rotate")]
    [InlineData("hflip:3")]
    [InlineData("erasing:0")]
    [InlineData("erasing:1.5")]
    public void Unknown_or_malformed_augmentations_are_refused_by_name(string spec)
    {
        var error = Assert.Throws<VisionLabException>(() => PixelAugmentations.Parse(spec));
        Assert.Contains(spec, error.Message);
    }

    [Fact]
    public void None_and_lists_parse()
    {
        Assert.True(PixelAugmentations.Parse("none").IsEmpty);
        Assert.Equal([new RandomCrop(2), new RandomHorizontalFlip()], PixelAugmentations.Parse("crop, hflip").Pixels);
        Assert.Equal([new RandomCrop(4)], PixelAugmentations.Parse("crop:4").Pixels);

        var withErasing = PixelAugmentations.Parse("crop,erasing:0.5,hflip");
        Assert.Equal([new RandomCrop(2), new RandomHorizontalFlip()], withErasing.Pixels);
        var erasing = Assert.IsType<RandomErasing>(Assert.Single(withErasing.Normalised));
        Assert.Equal(0.5, erasing.P);
        Assert.Equal(0.25, Assert.IsType<RandomErasing>(Assert.Single(PixelAugmentations.Parse("erasing").Normalised)).P);
    }

    [Fact]
    public void Erasing_overwrites_one_rectangle_per_erased_image_with_the_data_sets_mean_after_normalisation()
    {
        // 64 flat 16x16 images of value 200; normalised with mean 100/255, every pixel is positive
        // until erasing writes 0 (the mean) into a rectangle.
        var shape = new ImageShape(1, 16, 16);
        var dataset = new InMemoryImageDataset("flat", ["a", "b"], shape, Enumerable.Repeat((byte)200, 64 * 256).ToArray(),
            [.. Enumerable.Range(0, 64).Select(i => (byte)(i % 2))]);
        var normalize = new Normalize([100f / 255f], [0.5f]);
        var loader = new DataLoader(dataset, 16, normalize, seed: 3, augmentation: PixelAugmentations.Parse("erasing:1"));
        int erased = 0;
        foreach (var batch in loader.Epoch(0))
            using (batch)
            {
                float[] values = batch.Images.data<float>().ToArray();
                for (int i = 0; i < 16; i++)
                {
                    var image = values.AsSpan(i * 256, 256).ToArray();
                    var zeros = Enumerable.Range(0, 256).Where(p => image[p] == 0f).ToArray();
                    Assert.All(image, v => Assert.True(v == 0f || Math.Abs(v - 100f / 255f / 0.5f) < 1e-5f));
                    if (zeros.Length == 0) continue;
                    erased++;
                    // The zeros form one axis-aligned rectangle covering 2-33 % of the image (a little
                    // more once its sides are rounded to whole pixels).
                    int top = zeros.Min() / 16, bottom = zeros.Max() / 16, left = zeros.Min(p => p % 16), right = zeros.Max(p => p % 16);
                    Assert.Equal((bottom - top + 1) * (right - left + 1), zeros.Length);
                    Assert.InRange(zeros.Length, 1, 0.4 * 256);
                }
            }
        // Probability 1: every image is erased unless ten draws all failed to fit (rare at these ratios).
        Assert.InRange(erased, 56, 64);

        float[] Epoch(int epoch) => [.. loader.Epoch(epoch).SelectMany(b => { using (b) return b.Images.data<float>().ToArray(); })];
        Assert.Equal(Epoch(1), Epoch(1));
        Assert.NotEqual(Epoch(1), Epoch(2));
    }

    [Fact]
    public void Cli_preview_shows_idx_training_images_enlarged_with_their_augmentation()
    {
        using var temp = new TempFolder();
        string data = temp.File("idx");
        IdxWriter.WriteDataFolder(data, count: 30);
        string plain = temp.File("plain.png"), erased = temp.File("erased.png");

        var result = CliRunner.Run("data", "preview", data, "--count", "6", "--out", plain, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("\"images\": 6", result.Stdout);
        result = CliRunner.Run("data", "preview", data, "--augment", "erasing:1", "--count", "6", "--out", erased);
        Assert.True(result.ExitCode == 0, result.Stderr);

        using var plainGrid = SKBitmap.Decode(plain);
        using var erasedGrid = SKBitmap.Decode(erased);
        // 3 columns and 2 rows of 28-pixel images enlarged 6 times (168 pixels), captions under them.
        Assert.InRange(plainGrid.Width, 3 * 168, 3 * 168 + 40);
        Assert.InRange(plainGrid.Height, 2 * 168 + 36, 2 * (168 + 26) + 40);
        // Below the titles (which name the augmentation), the erased images differ from the plain ones.
        SKColor[] Cells(SKBitmap grid) => [.. from y in Enumerable.Range(40, grid.Height - 40) from x in Enumerable.Range(0, grid.Width) select grid.GetPixel(x, y)];
        Assert.Equal(plainGrid.Width, erasedGrid.Width);
        Assert.NotEqual(Cells(plainGrid), Cells(erasedGrid));

        var refused = CliRunner.Run("data", "preview", data, "--augment", "rotate", "--out", temp.File("no.png"));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("'rotate' is not one of crop", refused.Stderr);
        Assert.False(File.Exists(temp.File("no.png")));
    }
}
