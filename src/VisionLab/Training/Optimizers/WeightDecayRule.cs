using static TorchSharp.torch;

namespace VisionLab.Training.Optimizers;

/// <summary>Which parameters weight decay pulls towards zero.</summary>
public enum WeightDecayRule
{
    /// <summary>Every parameter, as torch.optim does with a single parameter group.</summary>
    AllParameters,

    /// <summary>
    /// Only the weights of convolutions and linear layers (attention projections included): not
    /// biases, not normalisation scales and shifts, not learned embeddings and scales. Decaying a
    /// batch-norm scale or a bias only fights the normalisation it feeds and does not regularise
    /// (Goyal et al. 2017; the recipes of timm and torchvision's <c>--norm-weight-decay 0</c>).
    /// </summary>
    NotOnNormAndBias,
}

public static class WeightDecayRules
{
    /// <summary>
    /// Learned tensors of two or more dimensions that are not layer weights: ViT's class token and
    /// position embedding, Swin's relative position bias table, ConvNeXt's layer scale (C×1×1). timm
    /// exempts the same ones through its models' <c>no_weight_decay()</c> lists.
    /// </summary>
    public static readonly IReadOnlySet<string> EmbeddingsAndScales = new HashSet<string>
    {
        "class_token", "pos_embedding", "relative_position_bias_table", "layer_scale",
    };

    /// <summary>Whether weight decay applies to the parameter <paramref name="name"/> of shape <paramref name="shape"/>.</summary>
    public static bool Applies(this WeightDecayRule rule, string name, ReadOnlySpan<long> shape)
    {
        if (rule == WeightDecayRule.AllParameters) return true;
        string last = name[(name.LastIndexOf('.') + 1)..];
        return shape.Length >= 2 && last != "bias" && !EmbeddingsAndScales.Contains(last);
    }

    public static bool Applies(this WeightDecayRule rule, string name, Tensor parameter) =>
        rule.Applies(name, parameter.shape);
}
