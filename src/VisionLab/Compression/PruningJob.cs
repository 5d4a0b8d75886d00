using System.IO.Compression;
using VisionLab.Data;
using VisionLab.Models;
using VisionLab.Runtime;
using VisionLab.Training;
using static TorchSharp.torch;

namespace VisionLab.Compression;

/// <summary>What a model costs and how well it does, at one stage of compression.</summary>
/// <param name="ConnectionWeights">Weights of convolutions and fully connected layers.</param>
/// <param name="NonZeroWeights">Of those, the ones not zero.</param>
/// <param name="WeightsMb">The state dict's size as stored (float32, dense).</param>
/// <param name="CompressedMb">The same bytes gzip-compressed: what zeroed weights save on disk.</param>
public sealed record ModelFootprint(string Stage, long Parameters, long ConnectionWeights, long NonZeroWeights,
    double WeightsMb, double CompressedMb, double TestAccuracy, double MillisecondsBatch1, double ImagesPerSecondBatch16);

public sealed record PruningOutcome(TrainingOutcome FineTuning, PruningSpec Spec, IReadOnlyList<ModelFootprint> Stages);

/// <summary>
/// Prunes a trained model, fine-tunes it, and measures it before pruning, right after, and after
/// fine-tuning — size, CPU speed and test accuracy — into the fine-tuning run's <see cref="Runs.RunFolder.PruningReport"/>.
/// </summary>
public static class PruningJob
{
    /// <param name="fineTuning">The fine-tuning run's settings; model, data, input size and starting
    /// point come from the checkpoint.</param>
    public static PruningOutcome Run(string checkpoint, PruningSpec spec, TrainingConfig fineTuning, TimeSpan benchTime,
        IEnumerable<ITrainerCallback> observers, CancellationToken cancellation = default)
    {
        var info = Checkpoint.ReadInfo(checkpoint);
        TorchRuntime.SetThreads(fineTuning.Threads);
        var transform = info.EvalTransform;
        var test = TrainingData.ForCheckpoint(info, null, fineTuning.EvalBatchSize, CPU, fineTuning.Workers,
            limit: fineTuning.TestLimit).Batches;

        var stages = new List<ModelFootprint>();
        using (var trained = Checkpoint.Load(checkpoint))
        {
            if (spec.Method == PruningMethod.Channels) ChannelPruning.GroupsToPrune(trained.Model, info.Model);
            stages.Add(Measure("trained", trained.Model, transform.Input, test, info.NumClasses, benchTime, cancellation));
            using var masks = spec.ApplyTo(trained.Model, info.Model);
            stages.Add(Measure("pruned", trained.Model, transform.Input, test, info.NumClasses, benchTime, cancellation));
            trained.Model.Dispose();
        }

        var outcome = TrainingJob.Run(fineTuning with
        {
            Model = info.Model,
            Data = info.Data,
            // Train on the data at the size the model was trained at, validating on the same images.
            ImageSize = ResizedTo(info),
            Val = info.Validation?.Folder,
            ValFraction = info.Validation?.Fraction ?? fineTuning.ValFraction,
            SplitSeed = info.Validation?.Seed,
            SmallInput = info.SmallInput,
            InitFrom = checkpoint,
            Prune = spec.ToString(),
        }, observers, cancellation);

        using (var tuned = Checkpoint.Load(outcome.Run.LastCheckpoint))
        {
            stages.Add(Measure("fine-tuned", tuned.Model, transform.Input, test, info.NumClasses, benchTime, cancellation));
            tuned.Model.Dispose();
        }
        outcome.Run.WriteJson(outcome.Run.PruningReport, new { checkpoint, pruning = spec.ToString(), stages });
        return new PruningOutcome(outcome, spec, stages);
    }

    public static ModelFootprint Measure(string stage, ImageClassifier model, ImageShape input, IBatchSource test, int classes,
        TimeSpan benchTime, CancellationToken cancellation = default)
    {
        var weights = WeightMasks.ConnectionWeights(model).ToList();
        long connections = weights.Sum(w => w.numel());
        long nonZero = weights.Sum(w => w.count_nonzero().item<long>());
        var (bytes, compressed) = StateDictBytes(model);
        double accuracy = Evaluator.Evaluate(model, test, classes, cancellation).Accuracy;

        // Speed as the inference commands run it: oneDNN where it is right (see ConvolutionBackend).
        using (ConvolutionBackend.UseOneDnnForInference(model))
        {
            var one = InferenceBenchmark.Measure(stage, model, input, 1, benchTime, benchTime);
            var sixteen = InferenceBenchmark.Measure(stage, model, input, 16, benchTime, benchTime);
            ConvolutionBackend.RequireExactGradients();
            return new ModelFootprint(stage, model.parameters().Sum(p => p.numel()), connections, nonZero,
                bytes / 1e6, compressed / 1e6, accuracy, one.MedianMilliseconds, sixteen.ImagesPerSecond);
        }
    }

    /// <summary>The <c>--image-size</c> that gives the checkpoint's input: null when IDX data were used at their own size.</summary>
    private static int? ResizedTo(CheckpointInfo info)
    {
        var t = info.EvalTransform;
        if (!ImageClassificationData.IsIdx(info.Data)) return t.Height;
        var shape = ImageClassificationData.Open(info.Data).Train.ImageShape;
        return t.Height != shape.Height || t.Width != shape.Width ? t.Height : null;
    }

    private static (long Bytes, long Compressed) StateDictBytes(ImageClassifier model)
    {
        using var sink = new CountingStream();
        long total = 0;
        using (var gzip = new GZipStream(sink, CompressionLevel.Optimal, leaveOpen: true))
        {
            foreach (var (_, tensor) in model.state_dict())
            {
                using var cpu = tensor.detach().cpu().contiguous();
                var raw = cpu.bytes;
                gzip.Write(raw);
                total += raw.Length;
            }
        }
        return (total, sink.Length);
    }

    /// <summary>Counts what is written and keeps none of it.</summary>
    private sealed class CountingStream : Stream
    {
        private long length;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => length;
        public override long Position { get => length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => length += count;
        public override void Write(ReadOnlySpan<byte> buffer) => length += buffer.Length;
    }
}
