using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models.Blocks;

/// <summary>
/// Squeeze-and-excitation — Hu, Shen, Sun, "Squeeze-and-Excitation Networks", CVPR 2018. Average
/// each channel over the image (squeeze), pass the vector through a two-layer bottleneck (1×1
/// convolutions <c>fc1</c>, <c>fc2</c>, as torchvision names them) and rescale every channel by the
/// gated result (excite), so the network can weigh channels by global context. MobileNet V3 gates
/// with a hard sigmoid, the others with the sigmoid.
/// </summary>
public sealed class SqueezeExcitation : Module<Tensor, Tensor>
{
    private readonly Conv2d fc1;
    private readonly Conv2d fc2;
    private readonly Activation activation;
    private readonly bool hardGate;

    public SqueezeExcitation(long channels, long squeezeChannels, Activation activation = Activation.ReLU, bool hardGate = false)
        : base(nameof(SqueezeExcitation))
    {
        if (channels < 1 || squeezeChannels < 1)
            throw new ArgumentException($"squeeze-excitation needs positive widths, not {channels} → {squeezeChannels}");
        fc1 = Conv2d(channels, squeezeChannels, 1);
        fc2 = Conv2d(squeezeChannels, channels, 1);
        this.activation = activation;
        this.hardGate = hardGate;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var squeezed = functional.adaptive_avg_pool2d(x, [1, 1]);
        var hidden = fc1.call(squeezed);
        hidden = activation switch
        {
            Activation.ReLU => GuidedRelu.ReluInPlace(hidden),
            Activation.SiLU => functional.silu(hidden, inplace: true),
            _ => throw new NotSupportedException($"squeeze-excitation with {activation}"),
        };
        var logits = fc2.call(hidden);
        var gate = hardGate ? functional.hardsigmoid(logits, inplace: true) : logits.sigmoid_();
        return (x * gate).MoveToOuterDisposeScope();
    }
}
