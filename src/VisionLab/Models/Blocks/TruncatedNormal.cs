using TorchSharp;
using VisionLab.Runtime;
using static TorchSharp.torch;

namespace VisionLab.Models.Blocks;

/// <summary>
/// Fills a tensor from a normal distribution cut to [a, b], by inverse-CDF sampling as
/// <c>torch.nn.init.trunc_normal_</c> does: uniform values between the CDF at the two cutoffs,
/// mapped through the inverse error function. TorchSharp 0.107's <c>init.trunc_normal_</c> swaps
/// mean and std and drops the √2, so with mean 0 it fills the tensor with the constant std (and
/// NaN where the uniform draw hits an end); use this instead.
/// </summary>
public static class TruncatedNormal
{
    public static Tensor Fill_(Tensor tensor, double std, double mean = 0, double a = -2, double b = 2)
    {
        if (!(std > 0))
            throw new ArgumentOutOfRangeException(nameof(std), std, $"standard deviation must be positive, not {std}");
        if (!(a < b))
            throw new ArgumentException($"the cutoffs must satisfy a < b, not a = {a}, b = {b}");
        using var _ = no_grad();
        using var cutoffs = torch.tensor(new[] { (a - mean) / std, (b - mean) / std }, float64);
        using var cdf = special.erf(cutoffs.DividedBy(Math.Sqrt(2))).PlusInPlace(1).DividedByInPlace(2);
        double low = cdf[0].item<double>(), high = cdf[1].item<double>();
        tensor.uniform_(2 * low - 1, 2 * high - 1);
        tensor.erfinv_();
        tensor.TimesInPlace(std * Math.Sqrt(2)).PlusInPlace(mean);
        tensor.ClampInPlace(a, b);
        return tensor;
    }
}
