using static TorchSharp.torch;

namespace VisionLab.Data;

/// <summary>Model inputs and labels for one step. Owns its tensors.</summary>
/// <param name="targets">Soft targets, N×classes with rows summing to one, when the batch was
/// mixed (MixUp, CutMix); null: the labels are the targets.</param>
/// <param name="releaseImages">Takes the images back on disposal instead of freeing them (a loader
/// reusing its buffers); null: they are disposed. Either way they must not be used afterwards.</param>
public sealed class Batch(Tensor images, Tensor labels, Tensor? targets = null, Action<Tensor>? releaseImages = null) : IDisposable
{
    public Tensor Images { get; } = images;

    /// <summary>Each image's class index; for a mixed batch, the class of the image before mixing.</summary>
    public Tensor Labels { get; } = labels;

    public Tensor? Targets { get; } = targets;
    public int Size => (int)Labels.shape[0];

    /// <summary>What a loss compares the logits with: the soft targets if any, else the labels.</summary>
    public Tensor LossTargets => Targets ?? Labels;

    /// <summary>The class counted as right: the largest soft target (as torchvision's reference
    /// scores mixed batches), else the label. A new tensor.</summary>
    public Tensor ScoredClasses() => Targets?.argmax(1) ?? Labels.alias();

    public void Dispose()
    {
        if (releaseImages is null) Images.Dispose();
        else releaseImages(Images);
        Labels.Dispose();
        Targets?.Dispose();
    }
}
