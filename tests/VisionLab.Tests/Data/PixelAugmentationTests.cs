using VisionLab.Data;
using VisionLab.Data.Transforms;

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

        var a = new DataLoader(dataset, 8, normalize, shuffle: true, seed: 5, augmentations: augment);
        var b = new DataLoader(dataset, 8, normalize, shuffle: true, seed: 5, augmentations: augment);
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
    public void Unknown_or_malformed_augmentations_are_refused_by_name(string spec)
    {
        var error = Assert.Throws<VisionLabException>(() => PixelAugmentations.Parse(spec));
        Assert.Contains(spec, error.Message);
    }

    [Fact]
    public void None_and_lists_parse()
    {
        Assert.Empty(PixelAugmentations.Parse("none"));
        Assert.Equal([new RandomCrop(2), new RandomHorizontalFlip()], PixelAugmentations.Parse("crop, hflip"));
        Assert.Equal([new RandomCrop(4)], PixelAugmentations.Parse("crop:4"));
    }
}
