using TorchSharp;
using VisionLab.Runtime;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models.Blocks;

/// <summary>
/// Stochastic depth — Huang, Sun, Liu, Sedra, Weinberger, "Deep Networks with Stochastic Depth",
/// ECCV 2016. In training, drops a residual branch's output with probability p — per sample
/// ("row", as EfficientNet, ConvNeXt and Swin use it) or for the whole batch — and scales survivors
/// by 1 / (1 − p) so the expected output is unchanged; in evaluation it is the identity. As
/// torchvision's <c>StochasticDepth</c>.
/// </summary>
public sealed class StochasticDepth : Module<Tensor, Tensor>
{
    public StochasticDepth(double probability, bool perSample = true) : base(nameof(StochasticDepth))
    {
        if (probability is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "drop probability must be between 0 and 1");
        Probability = probability;
        PerSample = perSample;
    }

    public double Probability { get; }
    public bool PerSample { get; }

    public override Tensor forward(Tensor x)
    {
        if (!training || Probability == 0) return x.alias();
        double survival = 1 - Probability;
        using var scope = NewDisposeScope();
        long[] shape = PerSample ? [x.shape[0], .. Enumerable.Repeat(1L, (int)x.dim() - 1)] : [.. Enumerable.Repeat(1L, (int)x.dim())];
        var keep = empty(shape, x.dtype, x.device).bernoulli_(survival);
        if (survival > 0) keep.DividedByInPlace(survival);
        return (x * keep).MoveToOuterDisposeScope();
    }
}
