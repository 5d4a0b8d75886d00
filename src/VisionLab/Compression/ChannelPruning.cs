using System.Reflection;
using TorchSharp;
using TorchSharp.Modules;
using VisionLab.Models;
using VisionLab.Models.Blocks;
using VisionLab.Runtime;
using static TorchSharp.torch;

namespace VisionLab.Compression;

/// <summary>
/// Structured pruning — Li, Kadav, Durdanovic, Samet, Graf, "Pruning Filters for Efficient
/// ConvNets", ICLR 2017: in every block's internal feature maps (<see cref="ChannelGroup"/>), the
/// maps whose producing filters have the smallest L1 norms are removed, with their norm statistics,
/// any depthwise filters and the consumer's weights that read them. Unlike zeroed weights, removed
/// maps make the network smaller and faster with the ordinary dense kernels. The same share goes in
/// every block (the paper's uniform setting); fine-tuning afterwards recovers the accuracy.
/// </summary>
public static class ChannelPruning
{
    /// <summary>The groups of a model by the name of their producing convolution.</summary>
    public static IReadOnlyList<(string Name, ChannelGroup Group)> Groups(nn.Module model)
    {
        var names = model.named_modules().ToDictionary(m => (object)m.module, m => m.name, ReferenceEqualityComparer.Instance);
        return model.modules().OfType<IHasChannelGroups>()
            .SelectMany(block => block.ChannelGroups)
            .Select(g => (names[g.Producer], g))
            .ToList();
    }

    /// <summary>The groups, or an error saying that <paramref name="name"/> has none.</summary>
    public static IReadOnlyList<(string Name, ChannelGroup Group)> GroupsToPrune(ImageClassifier model, string name)
    {
        var groups = Groups(model);
        return groups.Count > 0 ? groups : throw new VisionLabException(
            $"model {name} declares no block-internal channels to prune; channel pruning supports ResNet, " +
            "MobileNet V2 and ShuffleNet V2 (use magnitude pruning for others)");
    }

    /// <summary>The current width of every group, as a checkpoint records it.</summary>
    public static Dictionary<string, long> Widths(nn.Module model) =>
        Groups(model).ToDictionary(g => g.Name, g => g.Group.Channels);

    /// <summary>Removes the <paramref name="amount"/> share of each group's maps (at least one kept).</summary>
    public static void Prune(ImageClassifier model, string name, double amount)
    {
        var groups = GroupsToPrune(model, name);
        using var _ = no_grad();
        foreach (var (_, group) in groups)
        {
            long keep = Math.Max(1, (long)Math.Round(group.Channels * (1 - amount)));
            using var scope = NewDisposeScope();
            var filterNorms = group.Producer.weight.abs().flatten(1).sum(1);
            var kept = filterNorms.topk((int)keep).indexes.sort().Values;
            Keep(group, kept);
        }
    }

    /// <summary>Gives a freshly built model a pruned one's widths (the first maps of each group), so
    /// that the pruned model's state dict loads into it.</summary>
    public static void Resize(ImageClassifier model, IReadOnlyDictionary<string, long> widths, string source)
    {
        var groups = Groups(model).ToDictionary(g => g.Name, g => g.Group);
        using var _ = no_grad();
        foreach (var (name, width) in widths)
        {
            if (!groups.TryGetValue(name, out var group))
                throw new VisionLabException($"{source} prunes channels of '{name}', which this model does not have");
            if (width < 1 || width > group.Channels)
                throw new VisionLabException($"{source} gives '{name}' {width} channels; it has {group.Channels}");
            using var scope = NewDisposeScope();
            if (width < group.Channels) Keep(group, HeldScalars.Range(width));
        }
    }

    private static void Keep(ChannelGroup group, Tensor kept)
    {
        long width = kept.numel();
        Select(group.Producer, outputs: kept);
        SetChannels(group.Producer, group.Producer.in_channels, width);
        SelectNorm(group.Norm, kept);
        foreach (var (depthwise, norm) in group.Filters)
        {
            if (depthwise.out_channels != depthwise.in_channels)
                throw new InvalidOperationException($"a depthwise filter between pruned maps must keep its width, not {depthwise.in_channels} → {depthwise.out_channels}");
            Select(depthwise, outputs: kept);
            SetChannels(depthwise, width, width);
            depthwise.groups = width;
            SelectNorm(norm, kept);
        }
        if (group.Consumer.groups != 1)
            throw new InvalidOperationException("the consumer of pruned maps must be an ungrouped convolution");
        group.Consumer.weight = Parameter(group.Consumer.weight.index_select(1, kept), group.Consumer.weight.requires_grad);
        SetChannels(group.Consumer, width, group.Consumer.out_channels);
    }

    private static void Select(Convolution conv, Tensor outputs)
    {
        conv.weight = Parameter(conv.weight.index_select(0, outputs), conv.weight.requires_grad);
        if (conv.bias is { } bias) conv.bias = Parameter(bias.index_select(0, outputs), bias.requires_grad);
    }

    private static void SelectNorm(NormBase norm, Tensor kept)
    {
        if (norm.weight is { } weight) norm.weight = Parameter(weight.index_select(0, kept), weight.requires_grad);
        if (norm.bias is { } bias) norm.bias = Parameter(bias.index_select(0, kept), bias.requires_grad);
        if (norm.running_mean is { } mean) norm.running_mean = mean.index_select(0, kept);
        if (norm.running_var is { } variance) norm.running_var = variance.index_select(0, kept);
        SetBackingField(typeof(NormBase), norm, nameof(NormBase.num_features), kept.numel());
    }

    private static Parameter Parameter(Tensor values, bool requiresGrad) => new(values.contiguous(), requiresGrad);

    // TorchSharp fixes a layer's channel counts at construction (get-only properties) and checks
    // inputs against them; the blocks hold their layers in fields, so the layers are resized in
    // place rather than replaced.
    private static void SetChannels(Convolution conv, long inChannels, long outChannels)
    {
        SetBackingField(typeof(Convolution), conv, nameof(Convolution.in_channels), inChannels);
        SetBackingField(typeof(Convolution), conv, nameof(Convolution.out_channels), outChannels);
    }

    private static void SetBackingField(Type declaring, object target, string property, long value)
    {
        var field = declaring.GetField($"<{property}>k__BackingField", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException($"this TorchSharp's {declaring.Name} keeps {property} differently; channel pruning needs updating");
        field.SetValue(target, value);
    }
}
