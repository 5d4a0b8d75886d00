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

    /// <summary>The fully connected layer <paramref name="layer"/> of a Sequential head.</summary>
    protected static Linear LinearIn(Sequential head, string layer) =>
        (Linear)head.named_children().Single(c => c.name == layer).module;

    /// <summary>
    /// Replaces the fully connected layer <paramref name="layer"/> of the Sequential child
    /// <paramref name="name"/> by <paramref name="create"/>(its input width, <paramref name="numClasses"/>),
    /// on the old layer's device, disposes the old layer, and returns the rebuilt head.
    /// </summary>
    protected Sequential ReplaceLinearIn(string name, Sequential head, string layer, int numClasses, Func<long, long, Linear> create)
    {
        var old = LinearIn(head, layer);
        var rebuilt = ReplaceInSequential(name, head, layer, create(old.in_features, numClasses).to(old.weight!.device));
        old.Dispose();
        return rebuilt;
    }
}
