using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using TorchSharp;
using VisionLab.Data.Transforms.Images;
using static TorchSharp.torch;

namespace VisionLab.Data.Loading;

/// <summary>A sample a loader could not prepare, skipped (or fatal with strict loading).</summary>
public sealed record SkippedSample(int Index, string Source, string Problem);

/// <summary>Which samples an epoch visits.</summary>
public enum SamplingOrder
{
    /// <summary>Every sample once, in index order (evaluation).</summary>
    Sequential,

    /// <summary>Every sample once, shuffled by seed and epoch.</summary>
    Shuffled,

    /// <summary>As many draws as samples, with replacement, each class equally likely (PyTorch's
    /// WeightedRandomSampler with weights 1 / class count): for imbalanced data.</summary>
    ClassBalanced,
}

/// <summary>Options of a <see cref="ParallelImageLoader"/>.</summary>
/// <param name="Workers">Threads preparing batches; 0 prepares them on the caller's thread.</param>
/// <param name="Prefetch">Whole batches prepared ahead per worker (PyTorch's prefetch_factor).</param>
/// <param name="Strict">Whether an unreadable sample stops the epoch instead of being skipped.</param>
/// <param name="Mixing">Applied to every collated batch (MixUp, CutMix), giving it soft targets; null: none.</param>
public sealed record LoaderOptions(int BatchSize, SamplingOrder Order = SamplingOrder.Sequential, int Seed = 0,
    bool DropLast = false, int Workers = 2, int Prefetch = 2, bool Strict = false, Device? Device = null,
    IBatchTransform? Mixing = null);

/// <summary>
/// Batches from samples that take real work to prepare — image files to decode, resize and
/// augment. Worker threads each prepare whole batches, writing every sample straight into the
/// batch tensor's memory; a bounded queue holds at most <c>Workers × Prefetch</c> finished batches,
/// so memory stays bounded however slow the consumer; batches come out in order.
/// <para>
/// Every sample's random draws come from a generator seeded by the seed, the epoch and the sample's
/// position in the epoch — not by which thread prepared it — so the same seed gives the same
/// batches with any number of workers, and every epoch different augmentations.
/// </para>
/// <para>
/// A sample whose preparation fails with a <see cref="VisionLabException"/> (a corrupt file, say) is
/// left out of its batch and recorded in <see cref="Skipped"/>, unless the options ask for strict
/// loading. Other exceptions stop the epoch and reach the caller.
/// </para>
/// </summary>
public sealed class ParallelImageLoader : IBatchSource
{
    private readonly IImageSampleSource source;
    private readonly LoaderOptions options;
    private readonly ConcurrentDictionary<int, SkippedSample> skipped = new();

    public ParallelImageLoader(IImageSampleSource source, LoaderOptions options)
    {
        if (options.BatchSize < 1) throw new VisionLabException($"batch size {options.BatchSize} must be at least 1");
        if (options.Workers < 0) throw new VisionLabException($"workers {options.Workers} must be 0 or more");
        if (options.Prefetch < 1) throw new VisionLabException($"prefetch {options.Prefetch} must be at least 1");
        if (source.Count == 0) throw new VisionLabException($"{source.Name} holds no samples");
        this.source = source;
        this.options = options;
    }

    public IImageSampleSource Source => source;
    public LoaderOptions Options => options;

    public int ImagesPerEpoch => options.DropLast ? source.Count / options.BatchSize * options.BatchSize : source.Count;

    public int BatchesPerEpoch => options.DropLast ? source.Count / options.BatchSize : (source.Count + options.BatchSize - 1) / options.BatchSize;

    /// <summary>Samples skipped so far (each counted once, however many epochs met it).</summary>
    public IReadOnlyList<SkippedSample> Skipped => skipped.Values.OrderBy(s => s.Index).ToList();

    public IEnumerable<Batch> Epoch(int epoch)
    {
        int[] order = Order(epoch);
        int batches = options.DropLast ? order.Length / options.BatchSize : (order.Length + options.BatchSize - 1) / options.BatchSize;
        var shape = source.OutputShape;
        using var buffers = new BatchBufferPool([options.BatchSize, shape.Channels, shape.Height, shape.Width]);
        var epochBatches = options.Workers == 0 ? Sequentially(order, epoch, batches, buffers) : InParallel(order, epoch, batches, buffers);
        foreach (var batch in epochBatches) yield return batch;
    }

    private IEnumerable<Batch> Sequentially(int[] order, int epoch, int batches, BatchBufferPool buffers)
    {
        for (int b = 0; b < batches; b++)
        {
            var batch = Prepare(order, epoch, b, buffers);
            if (batch.Size > 0) yield return batch;
            else batch.Dispose();
        }
    }

    private IEnumerable<Batch> InParallel(int[] order, int epoch, int batches, BatchBufferPool buffers)
    {
        using var stop = new CancellationTokenSource();
        // One slot per batch in flight; a worker claims the next batch number and hands its result
        // to that batch's slot, so the consumer takes them in order whatever finishes first.
        var slots = new ConcurrentDictionary<int, TaskCompletionSource<Batch>>();
        TaskCompletionSource<Batch> Slot(int b) => slots.GetOrAdd(b, _ => new TaskCompletionSource<Batch>(TaskCreationOptions.RunContinuationsAsynchronously));
        var capacity = new SemaphoreSlim(options.Workers * options.Prefetch);
        int next = -1;
        var workers = Enumerable.Range(0, options.Workers).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    capacity.Wait(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                int b = Interlocked.Increment(ref next);
                if (b >= batches)
                {
                    capacity.Release();
                    return;
                }
                try
                {
                    Slot(b).SetResult(Prepare(order, epoch, b, buffers));
                }
                catch (Exception e)
                {
                    Slot(b).SetException(e);
                    return;
                }
            }
        })).ToArray();

        try
        {
            for (int b = 0; b < batches; b++)
            {
                var batch = Slot(b).Task.GetAwaiter().GetResult();
                slots.TryRemove(b, out _);
                capacity.Release();
                // Every sample of it unreadable: nothing to train on.
                if (batch.Size > 0) yield return batch;
                else batch.Dispose();
            }
        }
        finally
        {
            // The consumer stopped early or a worker failed: stop the rest and free what they made.
            stop.Cancel();
            Task.WaitAll(workers.Select(w => w.ContinueWith(_ => { })).ToArray());
            foreach (var slot in slots.Values)
                if (slot.Task.IsCompletedSuccessfully) slot.Task.Result.Dispose();
            capacity.Dispose();
        }
    }

    private Batch Prepare(int[] order, int epoch, int batchIndex, BatchBufferPool buffers)
    {
        int start = batchIndex * options.BatchSize;
        int n = Math.Min(options.BatchSize, order.Length - start);
        var shape = source.OutputShape;
        // Full batches reuse the epoch's buffers; the rare short one (the last) gets its own.
        Action<Tensor>? release = n == options.BatchSize ? buffers.Return : null;
        var images = release is null ? empty([n, shape.Channels, shape.Height, shape.Width], ScalarType.Float32) : buffers.Rent();
        var labels = empty([n], ScalarType.Int64);
        Tensor? targets = null;
        try
        {
            Span<float> pixels = MemoryMarshal.Cast<byte, float>(images.bytes);
            Span<long> labelValues = MemoryMarshal.Cast<byte, long>(labels.bytes);
            int kept = 0;
            for (int i = 0; i < n; i++)
            {
                int index = order[start + i];
                var random = new Random(SampleSeed(options.Seed, epoch, start + i));
                try
                {
                    source.Prepare(index, random, pixels.Slice(kept * shape.Elements, shape.Elements));
                }
                catch (VisionLabException e) when (!options.Strict)
                {
                    skipped.TryAdd(index, new SkippedSample(index, source.Describe(index), e is DataFormatException d ? d.Problem : e.Message));
                    continue;
                }
                labelValues[kept++] = source.LabelOf(index);
            }
            if (kept < n)
            {
                // Keep the batch's own storage: narrow views would pin the full tensors anyway.
                var (fewerImages, fewerLabels) = (images[..kept].clone(), labels[..kept].clone());
                Free(images, release);
                labels.Dispose();
                (images, labels, release) = (fewerImages, fewerLabels, null);
            }
            if (options.Mixing is { } mixing && kept > 0)
            {
                // Its own stream, so the mix does not depend on which samples were skipped before it.
                var (mixed, mixedTargets) = mixing.Apply(images, labels, new Random(SampleSeed(options.Seed, epoch, -2 - batchIndex)));
                Free(images, release);
                (images, targets, release) = (mixed, mixedTargets, null);
            }
            if (options.Device is { } device && device.type != DeviceType.CPU)
            {
                using (labels) using (targets)
                {
                    var onDevice = images.to(device);
                    Free(images, release);
                    return new Batch(onDevice, labels.to(device), targets?.to(device));
                }
            }
            return new Batch(images, labels, targets, release);
        }
        catch
        {
            Free(images, release);
            labels.Dispose();
            targets?.Dispose();
            throw;
        }
    }

    private static void Free(Tensor images, Action<Tensor>? release)
    {
        if (release is null) images.Dispose();
        else release(images);
    }

    private int[] Order(int epoch)
    {
        int count = source.Count;
        var random = new Random(SampleSeed(options.Seed, epoch, -1));
        switch (options.Order)
        {
            case SamplingOrder.Shuffled:
                var order = Enumerable.Range(0, count).ToArray();
                random.Shuffle(order);
                return order;
            case SamplingOrder.ClassBalanced:
                var byClass = Enumerable.Range(0, count).GroupBy(source.LabelOf).Select(g => g.ToArray()).ToArray();
                // Equal chance per class, then uniform within it: the weights 1 / class count.
                return Enumerable.Range(0, count).Select(_ =>
                {
                    var members = byClass[random.Next(byClass.Length)];
                    return members[random.Next(members.Length)];
                }).ToArray();
            default:
                return Enumerable.Range(0, count).ToArray();
        }
    }

    // HashCode.Combine is salted per process, and a run must see the same draws after a restart:
    // SplitMix64's finaliser over the three numbers, one at a time.
    private static int SampleSeed(int seed, int epoch, int position)
    {
        ulong x = (ulong)(uint)seed;
        foreach (long part in new long[] { epoch, position })
        {
            x = (x + (ulong)part + 0x9E3779B97F4A7C15UL) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
            x ^= x >> 31;
        }
        return (int)(x & int.MaxValue);
    }
}
