using SkiaSharp;
using VisionLab.Data;
using VisionLab.Data.Folders;
using VisionLab.Data.Loading;
using VisionLab.Data.Transforms.Images;
using VisionLab.Tests.Support;
using static TorchSharp.torch;

namespace VisionLab.Tests.Data.Loading;

/// <summary>
/// The parallel loader must be reproducible whatever the threads do, skip (or, strictly, stop at)
/// unreadable files and name them, balance classes when asked, and stop cleanly when its consumer does.
/// </summary>
public class ParallelImageLoaderTests
{
    [Fact]
    public void The_same_seed_gives_the_same_batches_with_any_number_of_workers_and_epochs_differ()
    {
        using var temp = new TempFolder();
        var samples = Samples(temp.Path, ("a", 9), ("b", 8));
        var two = Collect(new ParallelImageLoader(samples, new LoaderOptions(4, SamplingOrder.Shuffled, Seed: 5, Workers: 2)), 0);
        var again = Collect(new ParallelImageLoader(samples, new LoaderOptions(4, SamplingOrder.Shuffled, Seed: 5, Workers: 2)), 0);
        var inline = Collect(new ParallelImageLoader(samples, new LoaderOptions(4, SamplingOrder.Shuffled, Seed: 5, Workers: 0)), 0);
        var nextEpoch = Collect(new ParallelImageLoader(samples, new LoaderOptions(4, SamplingOrder.Shuffled, Seed: 5, Workers: 3)), 1);

        Assert.Equal(5, two.Count); // 17 images in batches of 4
        Assert.Equal(two, again);
        Assert.Equal(two, inline);
        Assert.NotEqual(two.Select(b => b.Pixels), nextEpoch.Select(b => b.Pixels));
        Assert.Equal(17, two.Sum(b => b.Labels.Length));
        Assert.Equal([3, 16, 16], two[0].Shape[1..]);
    }

    [Fact]
    public void Unreadable_files_are_skipped_and_named_or_stop_a_strict_epoch()
    {
        using var temp = new TempFolder();
        var samples = Samples(temp.Path, ("a", 5), ("b", 5));
        File.WriteAllText(Path.Combine(temp.Path, "a", "a_002.png"), "not a png any more");
        File.WriteAllBytes(Path.Combine(temp.Path, "b", "b_004.png"), []);

        var loader = new ParallelImageLoader(samples, new LoaderOptions(3, Workers: 2));
        var batches = Collect(loader, 0);
        Assert.Equal(8, batches.Sum(b => b.Labels.Length));
        Assert.Equal(["a_002.png", "b_004.png"], loader.Skipped.Select(s => Path.GetFileName(s.Source)));
        Assert.All(loader.Skipped, s => Assert.False(string.IsNullOrWhiteSpace(s.Problem)));

        var strict = new ParallelImageLoader(samples, new LoaderOptions(3, Workers: 2, Strict: true));
        var error = Assert.Throws<DataFormatException>(() => Collect(strict, 0));
        Assert.EndsWith("a_002.png", error.Path);
    }

    [Fact]
    public void Class_balanced_sampling_draws_a_rare_class_as_often_as_a_common_one()
    {
        using var temp = new TempFolder();
        var samples = Samples(temp.Path, ("common", 36), ("rare", 4));
        var loader = new ParallelImageLoader(samples, new LoaderOptions(8, SamplingOrder.ClassBalanced, Seed: 1, Workers: 2));
        var labels = Enumerable.Range(0, 10).SelectMany(e => Collect(loader, e).SelectMany(b => b.Labels)).ToList();
        double rare = labels.Count(l => l == 1) / (double)labels.Count;
        Assert.InRange(rare, 0.4, 0.6); // 0.1 without balancing
    }

    [Fact]
    public void Drop_last_and_a_consumer_that_stops_early_leave_nothing_running()
    {
        using var temp = new TempFolder();
        var samples = Samples(temp.Path, ("a", 7), ("b", 6));
        var loader = new ParallelImageLoader(samples, new LoaderOptions(4, DropLast: true, Workers: 2, Prefetch: 1));
        Assert.Equal(3, loader.BatchesPerEpoch);
        Assert.All(Collect(loader, 0), b => Assert.Equal(4, b.Labels.Length));
        foreach (var batch in loader.Epoch(0))
        {
            batch.Dispose();
            break;
        }
        Assert.Equal(3, Collect(loader, 1).Count);
    }

    [Fact]
    public void A_mixing_loader_gives_soft_targets_that_sum_to_one_reproducibly_and_keeps_the_labels()
    {
        using var temp = new TempFolder();
        var samples = Samples(temp.Path, ("a", 6), ("b", 6), ("c", 6));
        var mixing = TrainingAugmentation.Parse("mixup,cutmix").Mixing(3);
        LoaderOptions Options(int workers) => new(6, SamplingOrder.Shuffled, Seed: 2, Workers: workers, Mixing: mixing);
        List<float[]> Targets(ParallelImageLoader loader, int epoch) => loader.Epoch(epoch).Select(b =>
        {
            using (b)
            {
                Assert.Equal([6, 3], b.Targets!.shape);
                var sums = b.Targets.sum(1).data<float>().ToArray();
                Assert.All(sums, s => Assert.Equal(1f, s, 1e-5f));
                // A mixed pair's images are no longer any single sample's: the labels are still the
                // samples' own, and every label keeps some share of its image's target.
                var labels = b.Labels.data<long>().ToArray();
                var rows = b.Targets.data<float>().ToArray();
                for (int i = 0; i < labels.Length; i++) Assert.True(rows[i * 3 + (int)labels[i]] > 0);
                return rows;
            }
        }).ToList();

        var first = Targets(new ParallelImageLoader(samples, Options(2)), 0);
        Assert.Equal(first, Targets(new ParallelImageLoader(samples, Options(0)), 0));
        Assert.NotEqual(first, Targets(new ParallelImageLoader(samples, Options(2)), 1));
        // Soft somewhere: not every row is one-hot.
        Assert.Contains(first.SelectMany(r => r), v => v is > 0.01f and < 0.99f);
    }

    private sealed record BatchData(long[] Shape, float[] Pixels, long[] Labels)
    {
        public bool Equals(BatchData? other) => other is not null && Shape.SequenceEqual(other.Shape)
            && Pixels.SequenceEqual(other.Pixels) && Labels.SequenceEqual(other.Labels);

        public override int GetHashCode() => Labels.Length;
    }

    private static List<BatchData> Collect(IBatchSource loader, int epoch) => loader.Epoch(epoch).Select(b =>
    {
        using (b) return new BatchData(b.Images.shape, b.Images.data<float>().ToArray(), b.Labels.data<long>().ToArray());
    }).ToList();

    private static ImageFolderSamples Samples(string root, params (string Class, int Count)[] classes)
    {
        var random = new Random(3);
        foreach (var (name, count) in classes)
            for (int i = 0; i < count; i++)
            {
                string path = Path.Combine(root, name, $"{name}_{i:D3}.png");
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                using var bitmap = new SKBitmap(24, 20);
                for (int y = 0; y < 20; y++)
                    for (int x = 0; x < 24; x++)
                        bitmap.SetPixel(x, y, new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
                using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(path, data.ToArray());
            }
        return new ImageFolderSamples(ImageFolder.Scan(root), ImageTransforms.Train(16));
    }
}
