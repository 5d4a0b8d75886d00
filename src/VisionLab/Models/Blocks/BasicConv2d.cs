using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models.Blocks;

/// <summary>
/// Convolution, batch norm, ReLU: the unit GoogLeNet (as torchvision builds it) and Inception v3
/// are made of. The convolution has no bias because the batch norm's shift would cancel it; the
/// batch norm's eps is 0.001, TensorFlow's default, since the reference weights came from there.
/// Children are named <c>conv</c> and <c>bn</c> so torchvision's state dicts load unchanged.
/// </summary>
public sealed class BasicConv2d : Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly BatchNorm2d bn;

    /// <summary>A square kernel with the same stride and padding in both directions.</summary>
    public BasicConv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding))
    {
    }

    /// <summary>Any kernel as (height, width), for Inception v3's factorised 1×n and n×1 convolutions.</summary>
    public BasicConv2d(long inChannels, long outChannels, (long, long) kernelSize, (long, long) stride, (long, long) padding)
        : base(nameof(BasicConv2d))
    {
        if (inChannels < 1 || outChannels < 1)
            throw new ArgumentException($"a convolution needs at least one input and output channel, not {inChannels} → {outChannels}");
        conv = Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: padding, bias: false);
        bn = new BatchNorm2d(outChannels, eps: 1e-3);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return GuidedRelu.ReluInPlace(bn.call(conv.call(x))).MoveToOuterDisposeScope();
    }
}
