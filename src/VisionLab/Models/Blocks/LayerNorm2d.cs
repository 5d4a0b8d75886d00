using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models.Blocks;

/// <summary>
/// Layer norm over the channels of an (N, C, H, W) map, each pixel normalised on its own: the
/// channels are moved last, normalised as a layer norm over C, and moved back. ConvNeXt uses it
/// for its stem, its downsampling layers and its head. As torchvision's <c>LayerNorm2d</c> (a
/// <c>nn.LayerNorm</c> subclass, hence the parameter names <c>weight</c> and <c>bias</c> and the
/// default eps 1e-5), so its state-dict entries load unchanged.
/// </summary>
public sealed class LayerNorm2d : Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly long[] normalizedShape;

    public LayerNorm2d(long channels, double eps = 1e-5) : base(nameof(LayerNorm2d))
    {
        if (channels < 1)
            throw new ArgumentOutOfRangeException(nameof(channels), channels, $"a layer norm needs at least one channel, not {channels}");
        if (!(eps > 0))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, $"layer norm eps must be positive, not {eps}");
        Channels = channels;
        Eps = eps;
        normalizedShape = [channels];
        weight = Parameter(ones(channels));
        bias = Parameter(zeros(channels));
        RegisterComponents();
    }

    public long Channels { get; }
    public double Eps { get; }

    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != Channels)
            throw new ArgumentException($"LayerNorm2d({Channels}) takes (N, {Channels}, H, W) maps, not [{string.Join(", ", x.shape)}]");
        using var scope = NewDisposeScope();
        var channelsLast = x.permute(0, 2, 3, 1);
        var normalised = functional.layer_norm(channelsLast, normalizedShape, weight, bias, Eps);
        return normalised.permute(0, 3, 1, 2).MoveToOuterDisposeScope();
    }
}
