using static TorchSharp.torch;

namespace VisionLab.Inference;

/// <summary>
/// Test-time augmentation by mirroring: a model's class probabilities for each image averaged with
/// those for its left-right mirror. Sound only for data whose classes survive a mirror — the data a
/// model was trained on with <c>hflip</c>. Its output is the log of the averaged probabilities, so
/// whatever reads logits (cross-entropy, argmax, top-k, softmax) reads these unchanged: a softmax of
/// log-probabilities gives back the probabilities.
/// </summary>
public sealed class MirrorAveraged : nn.Module<Tensor, Tensor>
{
    /// <summary>The <c>--tta</c> word that asks for it.</summary>
    public const string Name = "hflip";

    private readonly nn.Module<Tensor, Tensor> model;

    public MirrorAveraged(nn.Module<Tensor, Tensor> model) : base("mirror_averaged")
    {
        this.model = model;
        // Registered so eval() and train() reach the wrapped model's dropout and batch norms.
        RegisterComponents();
    }

    /// <summary>
    /// <paramref name="model"/> wrapped when <paramref name="mirrored"/>, else itself. Dispose the
    /// model, not this: a wrapper owns no tensors, and disposing it would dispose the model it wraps.
    /// </summary>
    public static nn.Module<Tensor, Tensor> Scoring(nn.Module<Tensor, Tensor> model, bool mirrored) =>
        mirrored ? new MirrorAveraged(model) : model;

    public override Tensor forward(Tensor images)
    {
        if (images.dim() != 4) throw new VisionLabException($"mirror averaging needs batches of N×C×H×W images, got shape [{string.Join(", ", images.shape)}]");
        using var scope = NewDisposeScope();
        var plain = nn.functional.log_softmax(model.call(images), 1);
        var mirrored = nn.functional.log_softmax(model.call(images.flip(3)), 1);
        // log((p + q) / 2) through logsumexp of the log-probabilities: a class both views all but rule
        // out keeps a finite score, where p and q themselves would underflow to 0 and their log be −∞.
        return stack([plain, mirrored]).logsumexp(0).sub(Math.Log(2)).MoveToOuterDisposeScope();
    }
}
