using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace VisionLab.Data.Loading;

/// <summary>
/// Whole-batch image tensors handed out again once their batch is disposed. A 64×3×224×224 batch is
/// 38.5 MB; libtorch gets memory that large from the kernel afresh each time and the first write to
/// every page faults — on the virtual machines measured that cost 150 ms per batch, more than decoding
/// and augmenting its images. Reusing a few buffers per epoch avoids it. After <see cref="Dispose"/>,
/// buffers given back are freed instead of kept.
/// </summary>
internal sealed class BatchBufferPool(long[] shape) : IDisposable
{
    private readonly ConcurrentBag<Tensor> spare = [];
    private volatile bool closed;

    public Tensor Rent() => spare.TryTake(out var buffer) ? buffer : empty(shape, ScalarType.Float32);

    public void Return(Tensor buffer)
    {
        if (closed) buffer.Dispose();
        else spare.Add(buffer);
        // A return racing with Dispose must not strand a buffer in the bag.
        if (closed) Drain();
    }

    public void Dispose()
    {
        closed = true;
        Drain();
    }

    private void Drain()
    {
        while (spare.TryTake(out var buffer)) buffer.Dispose();
    }
}
