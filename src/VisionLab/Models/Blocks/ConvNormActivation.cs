using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models.Blocks;

/// <summary>The activations the lightweight families put after a convolution and its norm.</summary>
public enum Activation
{
    None,
    ReLU,
    ReLU6,
    Hardswish,
    SiLU,
    GELU,
}

/// <summary>
/// Convolution, batch norm, activation as one <see cref="Sequential"/> with children "0", "1" and
/// "2" — torchvision's <c>Conv2dNormActivation</c>, the unit MobileNet, MNASNet, EfficientNet,
/// RegNet and ShuffleNet are built from, so their state-dict keys (<c>features.0.1.weight</c>) match.
/// The convolution carries a bias only when there is no norm to cancel it; a depthwise one is a
/// <see cref="DepthwiseConv2d"/>.
/// </summary>
public static class ConvNormActivation
{
    /// <param name="padding">Null: "same" padding for odd kernels, (kernel − 1) / 2 × dilation.</param>
    /// <param name="normEps">Batch norm eps; null: no norm.</param>
    public static Sequential Create(long inChannels, long outChannels, long kernelSize = 3, long stride = 1,
        long? padding = null, long groups = 1, Activation activation = Activation.ReLU, double? normEps = 1e-5,
        double normMomentum = 0.1, long dilation = 1)
    {
        if (inChannels < 1 || outChannels < 1 || groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"a convolution {inChannels} → {outChannels} channels in {groups} groups is not possible");
        long pad = padding ?? (kernelSize - 1) / 2 * dilation;
        Module<Tensor, Tensor> convolution = groups == inChannels && groups > 1 && dilation == 1
            ? new DepthwiseConv2d(inChannels, outChannels, kernelSize, stride, pad, bias: normEps is null)
            : Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: pad, dilation: dilation, groups: groups, bias: normEps is null);
        var layers = new List<(string, Module<Tensor, Tensor>)> { ("0", convolution) };
        if (normEps is { } eps) layers.Add(("1", new BatchNorm2d(outChannels, eps: eps, momentum: normMomentum)));
        if (Layer(activation) is { } act) layers.Add((layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), act));
        return Sequential(layers);
    }

    /// <summary>A fresh module for <paramref name="activation"/>; null for <see cref="Activation.None"/>.</summary>
    public static Module<Tensor, Tensor>? Layer(Activation activation) => activation switch
    {
        Activation.None => null,
        Activation.ReLU => ReLU(inplace: true),
        Activation.ReLU6 => ReLU6(inplace: true),
        Activation.Hardswish => Hardswish(inplace: true),
        Activation.SiLU => SiLU(inplace: true),
        Activation.GELU => GELU(),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };
}
