using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models.Blocks;

/// <summary>
/// Reorders a tensor's dimensions as a layer of a <see cref="TorchSharp.Modules.Sequential"/>, so
/// blocks that switch between channels-first convolutions and channels-last layer norms and linear
/// layers keep torchvision's numbering of their layers. As torchvision's <c>Permute</c>.
/// </summary>
public sealed class Permute : Module<Tensor, Tensor>
{
    private readonly long[] dims;

    public Permute(params long[] dims) : base(nameof(Permute))
    {
        if (dims.Length == 0 || !dims.Order().SequenceEqual(Enumerable.Range(0, dims.Length).Select(i => (long)i)))
            throw new ArgumentException($"a permutation lists each of 0 .. n-1 once, not [{string.Join(", ", dims)}]", nameof(dims));
        this.dims = dims;
    }

    public override Tensor forward(Tensor x) => x.permute(dims);
}
