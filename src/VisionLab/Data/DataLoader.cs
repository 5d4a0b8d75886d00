using System.Runtime.InteropServices;
using VisionLab.Data.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace VisionLab.Data;

/// <summary>
/// Batches a data set: a seeded shuffle per epoch (the same seed and epoch give the same order, so
/// a resumed run sees what an uninterrupted one would), pixels gathered straight into the native
/// tensor's memory, and normalisation on the whole batch.
/// </summary>
public sealed class DataLoader : IBatchSource
{
    private readonly IImageClassificationDataset dataset;
    private readonly Normalize normalize;
    private readonly Device device;
    private readonly int seed;
    private readonly (int Height, int Width)? outputSize;
    private readonly PixelAugmentationPlan augmentation;

    /// <param name="outputSize">Height and width the batches are resized to (bilinear), for models
    /// that need larger inputs than the data has; null keeps the data's size.</param>
    /// <param name="augmentation">Applied to each image, in order, with a generator seeded by
    /// <paramref name="seed"/> and the epoch: its pixel steps before normalisation, its normalised
    /// steps after normalisation and resizing.</param>
    public DataLoader(IImageClassificationDataset dataset, int batchSize, Normalize normalize,
        bool shuffle = false, int seed = 0, bool dropLast = false, Device? device = null, (int Height, int Width)? outputSize = null,
        PixelAugmentationPlan? augmentation = null)
    {
        if (batchSize < 1)
            throw new VisionLabException($"batch size {batchSize} must be at least 1");
        if (dataset.Count == 0)
            throw new VisionLabException($"{dataset.Name} holds no images");
        this.dataset = dataset;
        this.normalize = normalize;
        this.device = device ?? CPU;
        this.seed = seed;
        if (outputSize is { } size && (size.Height < 1 || size.Width < 1))
            throw new VisionLabException($"image size {size.Height}x{size.Width} must be positive");
        this.outputSize = outputSize is { } s && (s.Height != dataset.ImageShape.Height || s.Width != dataset.ImageShape.Width) ? s : null;
        this.augmentation = augmentation ?? PixelAugmentationPlan.None;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
    }

    public IImageClassificationDataset Dataset => dataset;
    public int BatchSize { get; }
    public bool Shuffle { get; }
    public bool DropLast { get; }

    /// <summary>Images one epoch yields.</summary>
    public int ImagesPerEpoch => DropLast ? dataset.Count / BatchSize * BatchSize : dataset.Count;

    public int BatchesPerEpoch => DropLast ? dataset.Count / BatchSize : (dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>
    /// The batches of one epoch. Each batch is created outside any dispose scope the caller may
    /// hold, so the caller disposes it (a <c>using</c> per batch).
    /// </summary>
    public IEnumerable<Batch> Epoch(int epoch)
    {
        int[] order = Order(epoch);
        var shape = dataset.ImageShape;
        var random = new Random(EpochSeed(seed ^ AugmentationSalt, epoch));
        for (int start = 0; start + (DropLast ? BatchSize : 1) <= order.Length; start += BatchSize)
        {
            int n = Math.Min(BatchSize, order.Length - start);
            yield return Collate(order.AsSpan(start, n), shape, random);
        }
    }

    // Augmentation draws from its own stream, so switching it on leaves the shuffle order as it was.
    private const int AugmentationSalt = 0x5bd1e995;

    private Batch Collate(ReadOnlySpan<int> indices, ImageShape shape, Random random)
    {
        int n = indices.Length;
        using var pixels = empty([n, shape.Channels, shape.Height, shape.Width], ScalarType.Byte);
        var labels = empty([n], ScalarType.Int64);
        Span<byte> pixelBytes = pixels.bytes;
        Span<long> labelValues = MemoryMarshal.Cast<byte, long>(labels.bytes);
        int size = shape.Elements;
        for (int i = 0; i < n; i++)
        {
            var image = pixelBytes.Slice(i * size, size);
            dataset.CopyImage(indices[i], image);
            foreach (var step in augmentation.Pixels) step.Apply(image, shape, random);
            labelValues[i] = dataset.LabelOf(indices[i]);
        }
        var images = normalize.Apply(pixels);
        if (outputSize is { } resized)
        {
            using var original = images;
            images = nn.functional.interpolate(original, [resized.Height, resized.Width], mode: InterpolationMode.Bilinear, align_corners: false);
        }
        if (augmentation.Normalised.Count > 0)
            ApplyNormalised(images, random);
        if (device.type != DeviceType.CPU)
        {
            using (images) using (labels)
                return new Batch(images.to(device), labels.to(device));
        }
        return new Batch(images, labels);
    }

    private void ApplyNormalised(Tensor images, Random random)
    {
        var shape = new ImageShape((int)images.shape[1], (int)images.shape[2], (int)images.shape[3]);
        Span<float> floats = MemoryMarshal.Cast<byte, float>(images.bytes);
        for (int i = 0; i < images.shape[0]; i++)
        {
            var image = floats.Slice(i * shape.Elements, shape.Elements);
            foreach (var step in augmentation.Normalised) step.Apply(image, shape, random);
        }
    }

    private int[] Order(int epoch)
    {
        var order = Enumerable.Range(0, dataset.Count).ToArray();
        if (Shuffle)
            new Random(EpochSeed(seed, epoch)).Shuffle(order);
        return order;
    }

    // HashCode.Combine is salted per process, so mix by hand: the order must survive a restart.
    private static int EpochSeed(int seed, int epoch) =>
        (int)((uint)seed * 2654435761u ^ (uint)(epoch + 1) * 40503u) & int.MaxValue;
}
