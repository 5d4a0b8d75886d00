using TorchSharp;
using static TorchSharp.torch;

namespace VisionLab.Models.Blocks;

/// <summary>
/// PyTorch's <c>torch.nn.init.trunc_normal_</c>, which ViT, Swin and ConvNeXt initialise with.
/// TorchSharp 0.107's <c>init.trunc_normal_</c> cannot be used: it fills the tensor with one value
/// (and the odd NaN) instead of samples.
/// </summary>
public static class TruncatedNormal
{
    /// <summary>
    /// Fills <paramref name="tensor"/> in place with samples of normal(<paramref name="mean"/>,
    /// <paramref name="std"/>) restricted to [<paramref name="a"/>, <paramref name="b"/>] — absolute
    /// bounds, as PyTorch's (so the default ±2 barely truncates a small std) — by inverse-CDF
    /// sampling, as PyTorch does it; returns the tensor.
    /// </summary>
    public static Tensor Fill(Tensor tensor, double mean = 0, double std = 1, double a = -2, double b = 2)
    {
        if (!(std > 0)) throw new ArgumentOutOfRangeException(nameof(std), std, "the standard deviation must be positive");
        if (!(a < b)) throw new ArgumentException($"the truncation interval [{a}, {b}] is empty");
        using var _ = no_grad();
        // Uniform over the bounds' images under erf, then back through erfinv: normal samples within [a, b].
        using var bounds = torch.tensor(new[] { (a - mean) / (std * Math.Sqrt(2)), (b - mean) / (std * Math.Sqrt(2)) }, float64).erf_();
        tensor.uniform_(bounds[0].item<double>(), bounds[1].item<double>());
        return tensor.erfinv_().mul_(std * Math.Sqrt(2)).add_(mean).clamp_(a, b);
    }
}
