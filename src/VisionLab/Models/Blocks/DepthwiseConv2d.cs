using TorchSharp;
using TorchSharp.Modules;
using VisionLab.Runtime;
using static TorchSharp.torch;

namespace VisionLab.Models.Blocks;

/// <summary>
/// A depthwise convolution — one filter per input channel (groups = input channels), the spatial
/// half of the depthwise-separable convolutions MobileNet, MNASNet, ShuffleNet, EfficientNet and
/// ConvNeXt are made of. Its parameters are a <c>Conv2d</c>'s (<c>weight</c> [out, 1, k, k] and
/// an optional <c>bias</c>), so state dicts are torchvision's.
/// <para>
/// It exists for speed. With oneDNN switched off (see <see cref="ConvolutionBackend"/>), libtorch
/// runs a grouped convolution as one im2col-and-GEMM per group — a loop over hundreds of tiny
/// products that made a depthwise layer 5–10× slower than on oneDNN, and MobileNet training
/// impractical on a CPU. oneDNN's depthwise kernels compute forward pass and both gradients right
/// (checked against float64 for every shape the zoo uses, <c>DepthwiseConv2dTests</c>), so this
/// layer runs them, and only them, on oneDNN, in training as in inference.
/// </para>
/// </summary>
public sealed class DepthwiseConv2d : Convolution
{
    /// <param name="outChannels">A multiple of <paramref name="channels"/> (the depth multiplier).</param>
    public DepthwiseConv2d(long channels, long outChannels, long kernelSize, long stride = 1, long padding = 0, bool bias = true)
        : base(nameof(DepthwiseConv2d), channels, outChannels, [kernelSize, kernelSize], [stride, stride], [padding, padding],
            null, [1, 1], false, [0, 0], channels, bias, PaddingModes.Zeros)
    {
        if (channels < 1 || outChannels % channels != 0)
            throw new ArgumentException($"a depthwise convolution cannot map {channels} channels to {outChannels}");
    }

    public override Tensor forward(Tensor input)
    {
        if (input.device_type != DeviceType.CPU) return Convolve(input, weight, bias);
        bool recordsGradient = is_grad_enabled()
            && (input.requires_grad || weight.requires_grad || bias?.requires_grad == true);
        return recordsGradient
            ? OneDnnDepthwise.apply(input, weight, bias, this)
            : ConvolutionBackend.RunOnOneDnn(() => Convolve(input, weight, bias));
    }

    private Tensor Convolve(Tensor input, Tensor filters, Tensor? offsets) =>
        nn.functional.conv2d(input, filters, offsets, strides: stride, padding: padding, groups: groups);

    /// <summary>
    /// The layer as an autograd function: libtorch would choose the backward kernels when the
    /// backward pass runs, with oneDNN off by then, so the gradients are computed here, on oneDNN,
    /// by differentiating a recomputed forward pass (cheap next to the backward).
    /// </summary>
    private sealed class OneDnnDepthwise : autograd.SingleTensorFunction<OneDnnDepthwise>
    {
        public override string Name => nameof(OneDnnDepthwise);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (input, weight, bias, layer) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor?)vars[2], (DepthwiseConv2d)vars[3]);
            ctx.save_for_backward(bias is null ? [input, weight] : [input, weight, bias]);
            ctx.save_data("layer", layer);
            ctx.save_data("needs", new[] { input.requires_grad, weight.requires_grad, bias?.requires_grad == true });
            return ConvolutionBackend.RunOnOneDnn(() => layer.Convolve(input, weight, bias));
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var saved = ctx.get_saved_variables();
            var layer = (DepthwiseConv2d)ctx.get_data("layer");
            var needs = (bool[])ctx.get_data("needs");
            return ConvolutionBackend.RunOnOneDnn(() =>
                RecomputedGradients.Of(saved, needs, layer.Convolve, gradOutput, trailing: 1)); // the layer argument
        }
    }
}
