using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using VisionLab.Compression;
using VisionLab.Data.Transforms;
using VisionLab.Models;
using VisionLab.Runs;
using static TorchSharp.torch;

namespace VisionLab.Training;

/// <summary>What a checkpoint says about itself: enough to rebuild and use the model with nothing else.</summary>
public sealed record CheckpointInfo
{
    public required string Model { get; init; }
    public required int NumClasses { get; init; }
    public required int InChannels { get; init; }
    /// <summary>Built with the small-input stem (<see cref="ModelOptions.SmallInput"/>).</summary>
    public bool SmallInput { get; init; }
    public required IReadOnlyList<string> Classes { get; init; }
    public required EvalTransform EvalTransform { get; init; }
    public required string Data { get; init; }
    /// <summary>Epochs completed when it was written.</summary>
    public required int Epoch { get; init; }
    public double? TestAccuracy { get; init; }
    public string? Optimizer { get; init; }
    public int Seed { get; init; }
    /// <summary>Where the run's validation images came from (image folders); null for IDX data.</summary>
    public ValidationSource? Validation { get; init; }
    /// <summary>Widths of the block-internal feature maps after channel pruning, by producing
    /// layer; null: the zoo's architecture as built.</summary>
    public IReadOnlyDictionary<string, long>? ChannelWidths { get; init; }
    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;
    /// <summary>Optimiser steps taken when it was written (resuming continues the count).</summary>
    public long Step { get; init; }
    /// <summary>The figures of every epoch so far, so a resumed run's records continue where they stood.</summary>
    public IReadOnlyList<EpochResult>? History { get; init; }
}

/// <summary>Which of a checkpoint's weights go into the model it rebuilds.</summary>
public enum CheckpointWeights
{
    /// <summary>The weights the run evaluated: the moving average of the weights when the run kept
    /// one (and the checkpoint holds it), else the training weights. For evaluating and using a model.</summary>
    Evaluated,
    /// <summary>The weights the optimiser was moving, which a resumed run continues from.</summary>
    Training,
}

/// <summary>A loaded checkpoint: its description, the model, and any saved optimiser and training state.</summary>
public sealed class LoadedCheckpoint(CheckpointInfo info, ImageClassifier model, bool averaged, Dictionary<string, Tensor> optimizerState,
    Dictionary<string, Tensor> trainingState) : IDisposable
{
    public CheckpointInfo Info { get; } = info;
    public ImageClassifier Model { get; } = model;
    /// <summary>The model holds the run's moving average of the weights rather than the training weights.</summary>
    public bool WeightAverage { get; } = averaged;
    public IReadOnlyDictionary<string, Tensor> OptimizerState { get; } = optimizerState;
    /// <summary>The rest of what a resumed run needs (<see cref="Trainer.TrainingState"/>); empty in
    /// checkpoints written for use rather than for resuming.</summary>
    public IReadOnlyDictionary<string, Tensor> TrainingState { get; } = trainingState;

    public void Dispose()
    {
        foreach (var t in optimizerState.Values.Concat(trainingState.Values)) t.Dispose();
    }
}

/// <summary>
/// One file holding a model's weights, the optimiser's state and a JSON description. A run that keeps
/// a moving average of its weights evaluates the average but trains the live weights, so its
/// checkpoints hold both, as timm's do: the live ones to resume, the average to use.
/// Layout: magic <c>VLCKPT</c> and a format version; the JSON length and text; the tensor count
/// and, per tensor, name, dtype, shape and raw little-endian bytes; finally the SHA-256 of all
/// that precedes it, so truncation or corruption is caught before anything is loaded.
/// </summary>
public static class Checkpoint
{
    private static readonly byte[] Magic = "VLCKPT"u8.ToArray();
    private const ushort FormatVersion = 1;
    private const int HashLength = 32;
    private const string ModelPrefix = "model.";
    private const string OptimizerPrefix = "optimizer.";
    private const string TrainingStatePrefix = "state.";
    private const string AveragePrefix = "average.";

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <param name="weightAverage">The model's state dict with the run's moving average of the weights
    /// in place (<see cref="Regularization.ExponentialMovingAverage.SwapIn"/>), when it keeps one.</param>
    public static void Save(string path, CheckpointInfo info, ImageClassifier model,
        IEnumerable<(string Name, Tensor Value)>? optimizerState = null, IEnumerable<(string Name, Tensor Value)>? trainingState = null,
        IEnumerable<(string Name, Tensor Value)>? weightAverage = null)
    {
        var tensors = model.state_dict().Select(kv => (ModelPrefix + kv.Key, kv.Value))
            .Concat((weightAverage ?? []).Select(s => (AveragePrefix + s.Name, s.Value)))
            .Concat((optimizerState ?? []).Select(s => (OptimizerPrefix + s.Name, s.Value)))
            .Concat((trainingState ?? []).Select(s => (TrainingStatePrefix + s.Name, s.Value)))
            .ToList();
        AtomicFile.Write(path, stream =>
        {
            using var hashing = new HashingStream(stream);
            using (var writer = new BinaryWriter(hashing, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(Magic);
                writer.Write(FormatVersion);
                byte[] json = JsonSerializer.SerializeToUtf8Bytes(info, Json);
                writer.Write(json.Length);
                writer.Write(json);
                writer.Write(tensors.Count);
                foreach (var (name, value) in tensors) WriteTensor(writer, name, value);
            }
            stream.Write(hashing.Hash());
        });
    }

    public static CheckpointInfo ReadInfo(string path) => Read(path, infoOnly: true).Info;

    /// <summary>Rebuilds the model the checkpoint describes and loads its weights, all or nothing.</summary>
    public static LoadedCheckpoint Load(string path, Device? device = null, CheckpointWeights which = CheckpointWeights.Evaluated)
    {
        var (info, tensors) = Read(path, infoOnly: false);
        try
        {
            var model = ModelZoo.Create(info.Model, new ModelOptions(info.NumClasses, info.InChannels, SmallInput: info.SmallInput));
            if (info.ChannelWidths is { } widths) ChannelPruning.Resize(model, widths, path);
            bool averaged = which == CheckpointWeights.Evaluated && tensors.Keys.Any(k => k.StartsWith(AveragePrefix, StringComparison.Ordinal));
            string prefix = averaged ? AveragePrefix : ModelPrefix;
            var weights = tensors.Where(t => t.Key.StartsWith(prefix, StringComparison.Ordinal))
                .ToDictionary(t => t.Key[prefix.Length..], t => t.Value);
            StateDict.LoadStrict(model, weights, path);
            if (device is not null && device.type != DeviceType.CPU) model.to(device);
            model.eval();
            var optimizer = tensors.Where(t => t.Key.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
                .ToDictionary(t => t.Key[OptimizerPrefix.Length..], t => t.Value);
            var training = tensors.Where(t => t.Key.StartsWith(TrainingStatePrefix, StringComparison.Ordinal))
                .ToDictionary(t => t.Key[TrainingStatePrefix.Length..], t => t.Value);
            foreach (var t in tensors.Where(t => t.Key.StartsWith(ModelPrefix, StringComparison.Ordinal) || t.Key.StartsWith(AveragePrefix, StringComparison.Ordinal)))
                t.Value.Dispose();
            return new LoadedCheckpoint(info, model, averaged, optimizer, training);
        }
        catch (VisionLabException e) when (e is not CheckpointException)
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw new CheckpointException(path, e.Message, e);
        }
    }

    private static (CheckpointInfo Info, Dictionary<string, Tensor> Tensors) Read(string path, bool infoOnly)
    {
        if (!File.Exists(path))
            throw new CheckpointException(path, Directory.Exists(path) ? "is a folder, not a checkpoint file" : "file not found");
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < Magic.Length + 2 + HashLength || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new CheckpointException(path, "not a VisionLab checkpoint (no VLCKPT header)");
        var body = bytes.AsSpan(0, bytes.Length - HashLength);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - HashLength)))
            throw new CheckpointException(path, "corrupt: its checksum does not match (truncated or modified)");

        try
        {
            return Parse(bytes, body.Length, path, infoOnly);
        }
        catch (Exception e) when (e is JsonException or EndOfStreamException or InvalidDataException or ArgumentException)
        {
            throw new CheckpointException(path, $"malformed ({e.Message.TrimEnd('.')})", e);
        }
    }

    private static (CheckpointInfo Info, Dictionary<string, Tensor> Tensors) Parse(byte[] bytes, int length, string path, bool infoOnly)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes, 0, length, writable: false), Encoding.UTF8);
        reader.ReadBytes(Magic.Length);
        ushort version = reader.ReadUInt16();
        if (version != FormatVersion)
            throw new CheckpointException(path, $"format version {version} is not supported (this VisionLab reads version {FormatVersion})");
        var info = JsonSerializer.Deserialize<CheckpointInfo>(reader.ReadBytes(reader.ReadInt32()), Json)
                   ?? throw new CheckpointException(path, "has an empty description");
        var tensors = new Dictionary<string, Tensor>();
        if (infoOnly) return (info, tensors);
        int count = reader.ReadInt32();
        for (int i = 0; i < count; i++)
        {
            var (name, value) = ReadTensor(reader);
            tensors[name] = value;
        }
        return (info, tensors);
    }

    private static void WriteTensor(BinaryWriter writer, string name, Tensor value)
    {
        using var cpu = value.detach().cpu().contiguous();
        writer.Write(name);
        writer.Write((int)cpu.dtype);
        writer.Write((int)cpu.dim());
        foreach (long d in cpu.shape) writer.Write(d);
        var data = cpu.bytes;
        writer.Write((long)data.Length);
        writer.Write(data);
    }

    private static (string, Tensor) ReadTensor(BinaryReader reader)
    {
        string name = reader.ReadString();
        var dtype = (ScalarType)reader.ReadInt32();
        var shape = new long[reader.ReadInt32()];
        for (int d = 0; d < shape.Length; d++) shape[d] = reader.ReadInt64();
        long length = reader.ReadInt64();
        var t = empty(shape, dtype);
        if (t.bytes.Length != length)
        {
            t.Dispose();
            throw new InvalidDataException($"tensor {name} declares {length} bytes for shape [{string.Join(", ", shape)}]");
        }
        reader.BaseStream.ReadExactly(t.bytes);
        return (name, t);
    }

    /// <summary>Passes writes through while hashing them, so a large checkpoint is hashed without a second read.</summary>
    private sealed class HashingStream(Stream inner) : Stream
    {
        private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public byte[] Hash() => hash.GetHashAndReset();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            inner.Write(buffer);
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) hash.Dispose();
            base.Dispose(disposing);
        }
    }
}
