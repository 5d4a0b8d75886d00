using System.Diagnostics;
using System.Threading.Channels;
using VisionLab.Models;
using static TorchSharp.torch;

namespace VisionLab.Server.Inference;

/// <summary>One image's classification: every class's probability, and how the request was served.</summary>
/// <param name="Probabilities">Softmax over the model's outputs, in class order.</param>
/// <param name="BatchSize">How many requests shared the forward pass.</param>
/// <param name="QueueMilliseconds">From arrival to the start of its forward pass.</param>
/// <param name="ComputeMilliseconds">The forward pass it shared.</param>
public sealed record Classification(float[] Probabilities, int BatchSize, double QueueMilliseconds, double ComputeMilliseconds);

/// <summary>
/// The one thread that runs a model. Concurrent predictions are gathered into batches: the first
/// request waits at most <c>maxWait</c> for others, up to <c>maxBatch</c>, and all of them go
/// through one forward pass — on a CPU a batch of 16 costs far less than 16 passes of one, so
/// throughput grows with load while a lone request is delayed by at most <c>maxWait</c>.
/// Other work on the model (explanations, which hook its layers and need gradients) runs on the
/// same thread between batches, so nothing ever runs the model concurrently.
/// </summary>
public sealed class InferenceQueue : IDisposable
{
    private abstract record Work(long Arrived);

    private sealed record Classify(float[] Input, TaskCompletionSource<Classification> Done, long Arrived) : Work(Arrived);

    private sealed record Exclusive(Action Run, long Arrived) : Work(Arrived);

    private readonly ImageClassifier model;
    private readonly Device device;
    private readonly int[] inputShape;
    private readonly int maxBatch;
    private readonly TimeSpan maxWait;
    private readonly Channel<Work> queue;
    private readonly Thread worker;
    private Work? carried;

    /// <param name="inputShape">C, H, W of one prepared image.</param>
    public InferenceQueue(string name, ImageClassifier model, Device device, int[] inputShape, int maxBatch, TimeSpan maxWait, int capacity)
    {
        this.model = model;
        this.device = device;
        this.inputShape = inputShape;
        this.maxBatch = maxBatch;
        this.maxWait = maxWait;
        queue = Channel.CreateBounded<Work>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        worker = new Thread(Loop) { IsBackground = true, Name = $"inference {name}" };
        worker.Start();
    }

    /// <summary>Batches run so far and the images they held: their ratio is the mean batch size.</summary>
    public long Batches => Interlocked.Read(ref batches);

    public long Images => Interlocked.Read(ref images);

    private long batches, images;

    /// <summary>Classifies one prepared image (C×H×W floats). Throws <see cref="QueueFullException"/>
    /// when the model already has as many requests waiting as it may.</summary>
    public Task<Classification> ClassifyAsync(float[] input)
    {
        var done = new TaskCompletionSource<Classification>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!queue.Writer.TryWrite(new Classify(input, done, Stopwatch.GetTimestamp()))) throw new QueueFullException();
        return done.Task;
    }

    /// <summary>Runs <paramref name="work"/> on the model's thread, alone.</summary>
    public Task<T> RunAsync<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var item = new Exclusive(() =>
        {
            try { done.SetResult(work()); }
            catch (Exception e) { done.SetException(e); }
        }, Stopwatch.GetTimestamp());
        if (!queue.Writer.TryWrite(item)) throw new QueueFullException();
        return done.Task;
    }

    private void Loop()
    {
        var batch = new List<Classify>(maxBatch);
        while (Next() is { } first)
        {
            if (first is Exclusive exclusive)
            {
                exclusive.Run();
                continue;
            }
            batch.Add((Classify)first);
            Gather(batch);
            Run(batch);
            batch.Clear();
        }
    }

    private Work? Next()
    {
        if (carried is { } work)
        {
            carried = null;
            return work;
        }
        try
        {
            return queue.Reader.ReadAsync().AsTask().GetAwaiter().GetResult();
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    // Takes what is already waiting, then waits out the rest of maxWait for more; an explanation
    // that arrives meanwhile ends the batch and runs next.
    private void Gather(List<Classify> batch)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(maxWait.TotalSeconds * Stopwatch.Frequency);
        while (batch.Count < maxBatch)
        {
            if (queue.Reader.TryRead(out var work))
            {
                if (work is Classify classify) batch.Add(classify);
                else
                {
                    carried = work;
                    return;
                }
                continue;
            }
            var remaining = TimeSpan.FromSeconds((double)(deadline - Stopwatch.GetTimestamp()) / Stopwatch.Frequency);
            if (remaining <= TimeSpan.Zero) return;
            using var timeout = new CancellationTokenSource(remaining);
            try
            {
                if (!queue.Reader.WaitToReadAsync(timeout.Token).AsTask().GetAwaiter().GetResult()) return;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Run(List<Classify> batch)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            int elements = inputShape[0] * inputShape[1] * inputShape[2];
            var pixels = new float[batch.Count * elements];
            for (int i = 0; i < batch.Count; i++) batch[i].Input.CopyTo(pixels, i * elements);
            float[] probabilities;
            int classes;
            using (no_grad())
            using (NewDisposeScope())
            {
                model.eval();
                var input = tensor(pixels, [batch.Count, inputShape[0], inputShape[1], inputShape[2]]).to(device);
                var output = nn.functional.softmax(model.call(input), 1).cpu();
                classes = (int)output.shape[1];
                probabilities = output.data<float>().ToArray();
            }
            double compute = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            for (int i = 0; i < batch.Count; i++)
            {
                double waited = Stopwatch.GetElapsedTime(batch[i].Arrived, started).TotalMilliseconds;
                batch[i].Done.SetResult(new Classification(probabilities[(i * classes)..((i + 1) * classes)], batch.Count, waited, compute));
            }
            Interlocked.Increment(ref batches);
            Interlocked.Add(ref images, batch.Count);
        }
        catch (Exception e)
        {
            foreach (var item in batch) item.Done.TrySetException(e);
        }
    }

    /// <summary>Stops taking work, lets what is queued finish, and ends the thread.</summary>
    public void Dispose()
    {
        queue.Writer.TryComplete();
        worker.Join();
    }
}

/// <summary>A model's queue is full: the service is overloaded, the client should retry later.</summary>
public sealed class QueueFullException() : Exception("too many requests are waiting for this model; retry later");
