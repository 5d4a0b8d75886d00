using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models.Blocks;

/// <summary>
/// Reorders a tensor's dimensions, as a layer of a <c>Sequential</c> — torchvision's <c>Permute</c>,
/// which channel-last networks (Swin, ConvNeXt) use to move between (N, C, H, W) convolutions and
/// (N, H, W, C) layer norms and linears. It holds no parameters but keeps its place in the numbering.
/// </summary>
public sealed class Permute : Module<Tensor, Tensor>
{
    private readonly long[] dims;

    public Permute(params long[] dims) : base(nameof(Permute))
    {
        if (dims.Length == 0 || !dims.Order().SequenceEqual(Enumerable.Range(0, dims.Length).Select(i => (long)i)))
            throw new ArgumentException($"[{string.Join(", ", dims)}] is not a permutation of the dimensions");
        this.dims = dims;
    }

    public override Tensor forward(Tensor x) => x.permute(dims);
}
