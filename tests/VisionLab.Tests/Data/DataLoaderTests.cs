using VisionLab.Data;
using VisionLab.Data.Transforms;
using VisionLab.Tests.Support;

namespace VisionLab.Tests.Data;

public class DataLoaderTests
{
    private static InMemoryImageDataset Numbered(int count)
    {
        // Image i holds the value i in every pixel, so a batch tells which items it holds.
        var pixels = Enumerable.Range(0, count).SelectMany(i => Enumerable.Repeat((byte)i, 4)).ToArray();
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 2)).ToArray();
        return new InMemoryImageDataset("numbered", ["even", "odd"], new ImageShape(1, 2, 2), pixels, labels);
    }

    private static Normalize Identity => new([0f], [1f / 255f]);

    private static List<int> Items(DataLoader loader, int epoch)
    {
        var items = new List<int>();
        foreach (var batch in loader.Epoch(epoch))
        {
            using var b = batch;
            using var firstPixels = b.Images[.., 0, 0, 0];
            items.AddRange(firstPixels.data<float>().Select(v => (int)MathF.Round(v)));
        }
        return items;
    }

    [Fact]
    public void The_same_seed_and_epoch_give_the_same_order()
    {
        var a = new DataLoader(Numbered(50), 8, Identity, shuffle: true, seed: 3);
        var b = new DataLoader(Numbered(50), 8, Identity, shuffle: true, seed: 3);
        Assert.Equal(Items(a, 2), Items(b, 2));
    }

    [Fact]
    public void Each_epoch_visits_every_item_once_in_a_new_order()
    {
        var loader = new DataLoader(Numbered(50), 8, Identity, shuffle: true, seed: 3);
        var first = Items(loader, 0);
        var second = Items(loader, 1);
        Assert.Equal(Enumerable.Range(0, 50), first.Order());
        Assert.Equal(Enumerable.Range(0, 50), second.Order());
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Drop_last_skips_the_short_final_batch()
    {
        var loader = new DataLoader(Numbered(50), 8, Identity, dropLast: true);
        var sizes = loader.Epoch(0).Select(b => { using (b) return b.Size; }).ToList();
        Assert.Equal(6, sizes.Count);
        Assert.All(sizes, s => Assert.Equal(8, s));
        Assert.Equal(48, loader.ImagesPerEpoch);
    }

    [Fact]
    public void Batches_are_normalised_and_labelled()
    {
        var loader = new DataLoader(Numbered(4), 4, new Normalize([0.5f], [0.25f]));
        using var batch = loader.Epoch(0).Single();
        // pixel value v becomes (v / 255 - 0.5) / 0.25
        float expected = (3 / 255f - 0.5f) / 0.25f;
        Assert.Equal(expected, batch.Images[3, 0, 1, 1].item<float>(), 5);
        Assert.Equal(new long[] { 0, 1, 0, 1 }, batch.Labels.data<long>().ToArray());
        Assert.Equal(TorchSharp.torch.ScalarType.Float32, batch.Images.dtype);
    }

    [Fact]
    public void Batches_can_be_resized_for_models_that_need_larger_inputs()
    {
        var loader = new DataLoader(Numbered(4), 4, Identity, outputSize: (5, 6));
        using var batch = loader.Epoch(0).Single();
        Assert.Equal(new long[] { 4, 1, 5, 6 }, batch.Images.shape);
        // A constant image stays constant under bilinear resizing.
        Assert.Equal(3f, batch.Images[3].min().item<float>(), 4);
        Assert.Equal(3f, batch.Images[3].max().item<float>(), 4);
    }

    [Fact]
    public void Fashion_mnist_statistics_match_the_published_ones()
    {
        // The usual normalisation constants for Fashion-MNIST are mean 0.2860 and std 0.3530.
        var data = FashionMnist.Full;
        Assert.Equal(0.2860, data.Mean[0], 3);
        Assert.Equal(0.3530, data.Std[0], 3);
        Assert.Equal(60_000, data.Train.Count);
        Assert.Equal(10_000, data.Test.Count);
        Assert.Equal("Ankle boot", data.Classes[9]);
    }
}
