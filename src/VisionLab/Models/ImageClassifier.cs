using TorchSharp;
using static TorchSharp.torch;

namespace VisionLab.Models;

/// <summary>
/// The contract every zoo model keeps: a backbone (<see cref="ForwardFeatures"/>) and a head
/// (<see cref="ForwardHead"/>), so transfer learning, feature extraction and Grad-CAM all use
/// the same seam, and <see cref="ResetClassifier"/> to give the head a new number of classes.
/// </summary>
public abstract class ImageClassifier(string name) : ComposedModule(name)
{
    /// <summary>Outputs of the last classifier layer.</summary>
    public abstract int NumClasses { get; }

    /// <summary>Backbone: images to feature maps.</summary>
    public abstract Tensor ForwardFeatures(Tensor images);

    /// <summary>Head: feature maps to class logits.</summary>
    public abstract Tensor ForwardHead(Tensor features);

    /// <summary>Replaces the last classifier layer with a freshly initialised one.</summary>
    public abstract void ResetClassifier(int numClasses);

    public override Tensor forward(Tensor images)
    {
        using var features = ForwardFeatures(images);
        return ForwardHead(features);
    }

    public long ParameterCount() => parameters().Sum(p => p.numel());
}
