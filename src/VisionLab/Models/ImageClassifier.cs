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

    /// <summary>
    /// Replaces the last classifier layer with a freshly initialised one for <paramref name="numClasses"/>
    /// classes, on the device the old one was on.
    /// </summary>
    public void ResetClassifier(int numClasses)
    {
        if (numClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, $"{GetName()} needs at least one class, not {numClasses}");
        ReplaceClassifier(numClasses);
    }

    /// <summary>The family's own swap of its last layer (and any auxiliary heads'); the count is checked.</summary>
    protected abstract void ReplaceClassifier(int numClasses);

    /// <summary>
    /// The head most convolutional families share: each feature map averaged to one value, the
    /// (N, C) result through <paramref name="classifier"/>.
    /// </summary>
    protected static Tensor ClassifyPooled(Tensor features, nn.Module<Tensor, Tensor> classifier)
    {
        using var pooled = nn.functional.adaptive_avg_pool2d(features, 1);
        using var flat = pooled.flatten(1);
        return classifier.call(flat);
    }

    public override Tensor forward(Tensor images)
    {
        using var features = ForwardFeatures(images);
        return ForwardHead(features);
    }

    public long ParameterCount() => parameters().Sum(p => p.numel());

    /// <summary>
    /// The layer class-activation maps look at by default: null for the backbone's output (the last
    /// convolutional stage, what the head pools), or a layer name where that output cannot show
    /// where the evidence lies (a vision transformer's head reads only its class token).
    /// </summary>
    public virtual string? DefaultExplainLayer => null;

    /// <summary>
    /// A layer's output as a batch of C×h×w maps. Convolutional maps already are; token sequences
    /// (batch, tokens, channels) are laid back on their square grid, a leading class token dropped.
    /// Families whose layers keep channels last override this.
    /// </summary>
    public virtual Tensor ToFeatureGrid(string layer, Tensor output)
    {
        switch (output.dim())
        {
            case 4:
                return output.alias();
            case 3:
                long tokens = output.shape[1], side = (long)Math.Round(Math.Sqrt(tokens));
                if (side * side != tokens)
                {
                    side = (long)Math.Round(Math.Sqrt(tokens - 1));
                    if (side * side != tokens - 1)
                        throw new VisionLabException($"layer '{layer}' gives {tokens} tokens, which do not form a square grid (with or without a class token)");
                    output = output.narrow(1, 1, tokens - 1);
                }
                using (var grid = output.reshape(output.shape[0], side, side, output.shape[2]))
                    return grid.permute(0, 3, 1, 2);
            default:
                throw new VisionLabException($"layer '{layer}' gives outputs of shape [{string.Join(", ", output.shape)}], not feature maps; choose a convolutional or attention layer");
        }
    }

    /// <summary>
    /// The inverse of <see cref="ToFeatureGrid"/>: maps edited on the grid (a channel zeroed, say)
    /// put back in the layer's own layout, taking what the grid leaves out (a class token) from
    /// <paramref name="original"/>, the layer's output they replace.
    /// </summary>
    public virtual Tensor FromFeatureGrid(string layer, Tensor grid, Tensor original)
    {
        if (original.dim() == 4) return grid.alias();
        using var tokens = grid.flatten(2).permute(0, 2, 1);
        if (tokens.shape[1] == original.shape[1]) return tokens.contiguous();
        using var classToken = original.narrow(1, 0, 1).expand(grid.shape[0], 1, original.shape[2]);
        return cat([classToken, tokens], 1);
    }
}
