using TorchSharp;
using static TorchSharp.torch;

namespace VisionLab.Models;

/// <summary>
/// The contract every zoo model keeps: a backbone (<see cref="ForwardFeatures"/>) and a head
/// (<see cref="ForwardHead"/>), so transfer learning, feature extraction and Grad-CAM all use
/// the same seam, and <see cref="ResetClassifier"/> to give the head a new number of classes.
/// </summary>
public abstract class ImageClassifier(string name) : nn.Module<Tensor, Tensor>(name)
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

    /// <summary>
    /// Swaps the registered child <paramref name="name"/> for <paramref name="replacement"/>,
    /// keeping every child's place so parameter order (and state-dict order) stays as it was.
    /// TorchSharp registers a name only once, so the children are registered afresh.
    /// </summary>
    protected void ReplaceChild(string name, nn.Module replacement)
    {
        var children = named_children().ToList();
        if (!children.Any(c => c.name == name))
            throw new ArgumentException($"{GetName()} has no child module '{name}'", nameof(name));
        ClearModules();
        foreach (var (childName, child) in children)
            register_module(childName, childName == name ? replacement : child);
    }
}
