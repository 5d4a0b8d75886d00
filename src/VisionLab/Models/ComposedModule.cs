using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisionLab.Models;

/// <summary>A module made of named children, one of which can be swapped for another in place.</summary>
public abstract class ComposedModule(string name) : nn.Module<Tensor, Tensor>(name)
{
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

    /// <summary>
    /// Swaps layer <paramref name="layer"/> of the registered Sequential child <paramref name="name"/>
    /// for <paramref name="replacement"/> and registers the rebuilt Sequential in its place. The other
    /// layers are shared, not copied, so the caller disposes only the layer it replaced.
    /// </summary>
    protected Sequential ReplaceInSequential(string name, Sequential sequential, string layer, nn.Module<Tensor, Tensor> replacement)
    {
        var rebuilt = nn.Sequential(sequential.named_children()
            .Select(c => (c.name, c.name == layer ? replacement : (nn.Module<Tensor, Tensor>)c.module)));
        ReplaceChild(name, rebuilt);
        return rebuilt;
    }

    /// <summary>
    /// Replaces the registered fully connected child <paramref name="name"/>, <paramref name="old"/>,
    /// by <paramref name="create"/>(its input width, <paramref name="numClasses"/>) — a layer with
    /// PyTorch's default initialisation when null — on the old layer's device, disposes the old
    /// layer, and returns the new one.
    /// </summary>
    protected Linear ReplaceLinear(string name, Linear old, int numClasses, Func<long, long, Linear>? create = null)
    {
        var fresh = (create ?? DefaultLinear)(old.in_features, numClasses).to(old.weight!.device);
        ReplaceChild(name, fresh);
        old.Dispose();
        return fresh;
    }

    /// <summary>The fully connected layer <paramref name="layer"/> of a Sequential head.</summary>
    protected static Linear LinearIn(Sequential head, string layer) =>
        (Linear)head.named_children().Single(c => c.name == layer).module;

    /// <summary>
    /// Replaces the fully connected layer <paramref name="layer"/> of the Sequential child
    /// <paramref name="name"/> by <paramref name="create"/>(its input width, <paramref name="numClasses"/>)
    /// — as in <see cref="ReplaceLinear"/>, a default layer when null — on the old layer's device,
    /// disposes the old layer, and returns the rebuilt head.
    /// </summary>
    protected Sequential ReplaceLinearIn(string name, Sequential head, string layer, int numClasses, Func<long, long, Linear>? create = null)
    {
        var old = LinearIn(head, layer);
        var rebuilt = ReplaceInSequential(name, head, layer, (create ?? DefaultLinear)(old.in_features, numClasses).to(old.weight!.device));
        old.Dispose();
        return rebuilt;
    }

    private static Linear DefaultLinear(long inFeatures, long outFeatures) => nn.Linear(inFeatures, outFeatures);
}
