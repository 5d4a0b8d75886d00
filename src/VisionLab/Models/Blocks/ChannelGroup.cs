using TorchSharp.Modules;

namespace VisionLab.Models.Blocks;

/// <summary>
/// Feature maps a block makes and uses up itself: one convolution produces them, a batch norm
/// normalises them, depthwise convolutions (each with its norm) may filter them one by one, and one
/// convolution consumes them. Nothing outside the block sees them, so any of them can be removed —
/// with its filter, its norm statistics and the consumer's weights that read it — and the network
/// still fits together. Structured pruning removes exactly these.
/// </summary>
public sealed record ChannelGroup(Convolution Producer, BatchNorm2d Norm,
    IReadOnlyList<(Convolution Depthwise, BatchNorm2d Norm)> Filters, Convolution Consumer)
{
    public long Channels => Producer.out_channels;
}

/// <summary>A block that can name its <see cref="ChannelGroup"/>s.</summary>
public interface IHasChannelGroups
{
    IEnumerable<ChannelGroup> ChannelGroups { get; }
}
