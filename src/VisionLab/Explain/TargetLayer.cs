using VisionLab.Models;
using static TorchSharp.torch;

namespace VisionLab.Explain;

/// <summary>
/// The layer a class-activation map looks at, and the two things every CAM method needs from it:
/// its maps for an input, with the gradient of a class score with respect to them, and the model's
/// logits when those maps are edited (a channel zeroed or kept alone).
/// <para>
/// TorchSharp has no backward hooks. A forward hook gives the same result: it takes the layer's
/// output, detaches it into a leaf that requires gradients, and hands the rest of the network a copy
/// of that leaf; the gradient of a score with respect to the leaf is then exactly the gradient with
/// respect to the layer's output, and in-place operations further on touch only the copy.
/// </para>
/// </summary>
public sealed class TargetLayer
{
    private readonly ImageClassifier model;

    private TargetLayer(ImageClassifier model, string? name)
    {
        this.model = model;
        Name = name;
    }

    /// <summary>The layer's name in the state dict; null for the backbone's output (what the head pools).</summary>
    public string? Name { get; }

    /// <summary>How to call it in messages and file names.</summary>
    public string DisplayName => Name ?? "features";

    /// <summary>
    /// <paramref name="name"/> if given (it must exist: an unknown name lists the valid ones), else the
    /// family's default (<see cref="ImageClassifier.DefaultExplainLayer"/>).
    /// </summary>
    public static TargetLayer Of(ImageClassifier model, string? name = null)
    {
        name ??= model.DefaultExplainLayer;
        if (name is not null) FeatureExtractor.Layer(model, name);
        return new TargetLayer(model, name);
    }

    /// <summary>
    /// One forward pass of <paramref name="images"/> (N×C×H×W, prepared for the model) in eval mode,
    /// keeping the layer's maps. The result's tensors live in the caller's dispose scope.
    /// </summary>
    public LayerPass Forward(Tensor images)
    {
        model.eval();
        using var gradients = enable_grad();
        if (Name is null)
        {
            Tensor features;
            using (no_grad()) features = model.ForwardFeatures(images);
            var leaf = features.detach().requires_grad_(true);
            features.Dispose();
            using var copy = leaf.clone();
            return new LayerPass(this, leaf, model.ForwardHead(copy));
        }
        Tensor? captured = null;
        var hook = FeatureExtractor.Layer(model, Name).register_forward_hook((_, _, output) =>
        {
            // Blocks run their forward passes in dispose scopes of their own, which would free the
            // leaf on the way out; it belongs to the caller's scope instead (attached below).
            captured?.Dispose();
            captured = output.detach().requires_grad_(true).DetachFromDisposeScope();
            return captured.clone();
        });
        try
        {
            var logits = model.call(images);
            if (captured is null)
                throw new VisionLabException($"layer '{Name}' was not called in the forward pass; choose another layer");
            CurrentDisposeScope?.Attach(captured);
            return new LayerPass(this, captured, logits);
        }
        finally
        {
            hook.remove();
        }
    }

    /// <summary>
    /// The logits for <paramref name="images"/> (one image, N=1) when the layer's maps are replaced by
    /// <paramref name="edit"/> of them: N'×C×h×w in, N'×C×h×w out, giving N' rows of logits. For the
    /// backbone's output only the head runs again.
    /// </summary>
    public Tensor LogitsWithEditedMaps(Tensor images, Func<Tensor, Tensor> edit)
    {
        model.eval();
        using var _ = no_grad();
        if (Name is null)
        {
            using var features = model.ForwardFeatures(images);
            using var edited = edit(features);
            return model.ForwardHead(edited);
        }
        var hook = FeatureExtractor.Layer(model, Name).register_forward_hook((_, _, output) =>
        {
            using var grid = model.ToFeatureGrid(Name, output);
            using var edited = edit(grid);
            return model.FromFeatureGrid(Name, edited, output);
        });
        try
        {
            // The edit may turn one image into many; the layers before the target see one.
            return model.call(images);
        }
        finally
        {
            hook.remove();
        }
    }

    internal Tensor ToGrid(Tensor output) => Name is null ? output.alias() : model.ToFeatureGrid(Name, output);
}

/// <summary>One forward pass with the target layer's output held as a leaf of the autograd graph.</summary>
public sealed class LayerPass(TargetLayer layer, Tensor leaf, Tensor logits)
{
    /// <summary>N×classes, attached to the graph.</summary>
    public Tensor Logits { get; } = logits;

    /// <summary>The layer's maps, N×C×h×w, without gradient.</summary>
    public Tensor Maps()
    {
        using var detached = leaf.detach();
        return layer.ToGrid(detached);
    }

    /// <summary>The gradient of <paramref name="score"/> (a scalar from <see cref="Logits"/>) with
    /// respect to the maps, N×C×h×w. The graph is kept, so several scores can be asked for.</summary>
    public Tensor Gradients(Tensor score)
    {
        var gradient = autograd.grad([score], [leaf], retain_graph: true)[0];
        using (gradient) return layer.ToGrid(gradient);
    }
}
