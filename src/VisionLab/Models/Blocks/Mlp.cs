using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models.Blocks;

/// <summary>
/// A transformer's position-wise feed-forward network: Linear, activation and dropout per hidden
/// width, then a last Linear and dropout, as one <see cref="Sequential"/> numbered "0", "1", ... —
/// torchvision's <c>MLP</c>, so ViT's and Swin's keys (<c>mlp.0.weight</c>, <c>mlp.3.weight</c>)
/// match. It acts on the last dimension, so tokens may come as (batch, length, features) or as
/// (batch, height, width, features).
/// </summary>
public static class Mlp
{
    /// <param name="widths">Hidden widths followed by the output width, e.g. [4·d, d].</param>
    public static Sequential Create(long inFeatures, IReadOnlyList<long> widths, Activation activation = Activation.GELU, double dropout = 0)
    {
        if (inFeatures < 1 || widths.Count == 0 || widths.Any(w => w < 1))
            throw new ArgumentException($"an MLP from {inFeatures} features through widths [{string.Join(", ", widths)}] is not possible");
        if (dropout is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "dropout must be between 0 and 1");
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        void Add(Module<Tensor, Tensor> layer) => layers.Add((layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer));
        long width = inFeatures;
        foreach (long hidden in widths.Take(widths.Count - 1))
        {
            Add(Linear(width, hidden));
            if (ConvNormActivation.Layer(activation) is { } act) Add(act);
            Add(Dropout(dropout));
            width = hidden;
        }
        Add(Linear(width, widths[^1]));
        Add(Dropout(dropout));
        return Sequential(layers);
    }
}
