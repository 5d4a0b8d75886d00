using VisionLab.Data.Images;
using VisionLab.Data.Transforms.Images;
using VisionLab.Explain;
using VisionLab.Models;
using VisionLab.Runtime;
using VisionLab.Server.Inference;
using VisionLab.Training;
using static TorchSharp.torch;

namespace VisionLab.Server.Models;

/// <summary>
/// One trained model behind the API: its checkpoint's weights, classes and eval transform, the
/// queue that runs it, and the decoder that turns uploads into its inputs.
/// </summary>
public sealed class ServedModel : IDisposable
{
    private readonly LoadedCheckpoint checkpoint;
    private readonly ConvolutionBackend.InferenceRouting routing;
    private readonly ImagePipeline pipeline;
    private readonly ImageDecoder decoder;
    private readonly Device device;
    private readonly Dictionary<string, Explainer> explainers = [];

    private ServedModel(string name, string path, LoadedCheckpoint checkpoint, ServerOptions options, Device device)
    {
        Name = name;
        Checkpoint = path;
        this.checkpoint = checkpoint;
        this.device = device;
        Info = checkpoint.Info;
        Parameters = checkpoint.Model.ParameterCount();
        pipeline = Info.EvalTransform.Pipeline();
        decoder = new ImageDecoder(options.MaxImagePixels);
        routing = ConvolutionBackend.UseOneDnnForInference(checkpoint.Model);
        var input = Info.EvalTransform.Input;
        Queue = new InferenceQueue(name, checkpoint.Model, device, [input.Channels, input.Height, input.Width],
            options.MaxBatch, options.MaxWait, options.MaxQueue);
    }

    public string Name { get; }

    /// <summary>The checkpoint file it was loaded from.</summary>
    public string Checkpoint { get; }

    public CheckpointInfo Info { get; }

    public long Parameters { get; }

    public InferenceQueue Queue { get; }

    public static ServedModel Load(string name, string path, ServerOptions options, Device device)
    {
        var checkpoint = Training.Checkpoint.Load(path, device);
        try
        {
            return new ServedModel(name, path, checkpoint, options, device);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>Decodes an upload and prepares it as the model was evaluated (C×H×W floats). A
    /// file that is not a readable image, or declares too many pixels, fails with a
    /// <see cref="DataFormatException"/> naming <paramref name="fileName"/>.</summary>
    public float[] Prepare(ReadOnlySpan<byte> encoded, string fileName)
    {
        using var image = decoder.Decode(encoded, fileName, Info.EvalTransform.Channels);
        return pipeline.Apply(image, Random.Shared, out _);
    }

    /// <summary>A prepared image's left-right mirror (each row of each channel reversed), for
    /// test-time augmentation: the flip <see cref="Inference.MirrorAveraged"/> applies to batches.</summary>
    public float[] Mirrored(float[] prepared)
    {
        var mirrored = (float[])prepared.Clone();
        VisionLab.Data.Transforms.RandomHorizontalFlip.Mirror<float>(mirrored, Info.EvalTransform.Width);
        return mirrored;
    }

    /// <summary>Explains one upload on the model's own thread (CAM methods hook its layers).</summary>
    public Task<ImageExplanation> ExplainAsync(byte[] encoded, string fileName, IExplanationMethod method, ClassSelection target,
        string? layer)
    {
        // Decoding here, on the request's thread, keeps the model's thread for model work.
        var image = decoder.Decode(encoded, fileName, Info.EvalTransform.Channels);
        try
        {
            return Queue.RunAsync(() =>
            {
                using (image) return ExplainerFor(layer).Explain(image, fileName, [method], target);
            });
        }
        catch
        {
            // Refused by a full queue: the work that would have disposed the image never runs.
            image.Dispose();
            throw;
        }
    }

    // Made on the model's thread and kept: building one walks the model for its layers.
    private Explainer ExplainerFor(string? layer)
    {
        string key = layer ?? "";
        if (!explainers.TryGetValue(key, out var explainer))
            explainers[key] = explainer = new Explainer(checkpoint.Model, Info.EvalTransform, Info.Classes, device, layer);
        return explainer;
    }

    public void Dispose()
    {
        Queue.Dispose();
        routing.Dispose();
        checkpoint.Dispose();
    }
}
