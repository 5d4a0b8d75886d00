using TorchSharp.Modules;
using VisionLab.Models;
using VisionLab.Runtime;
using VisionLab.Training;
using static TorchSharp.torch;

namespace VisionLab.Compression;

/// <summary>
/// Global magnitude pruning — Han, Pool, Tran, Dally, "Learning both Weights and Connections for
/// Efficient Neural Networks", NeurIPS 2015: the smallest weights of all convolutions and fully
/// connected layers, ranked together, are set to zero, and stay zero while the rest are fine-tuned
/// (the masks are applied again after every optimiser step, since momentum and weight decay would
/// revive them). Biases and norms are left alone: they are few and carry no connections.
/// Ranking globally lets layers with many redundant weights give up more than small ones.
/// </summary>
public sealed class WeightMasks : ITrainerCallback, IDisposable
{
    private readonly List<(Tensor Weight, Tensor Keep)> masks;

    private WeightMasks(List<(Tensor, Tensor)> masks) => this.masks = masks;

    /// <summary>Zeroes the <paramref name="amount"/> share of <paramref name="model"/>'s connection
    /// weights with the smallest magnitudes and returns the masks that keep them zero.</summary>
    public static WeightMasks Prune(ImageClassifier model, double amount)
    {
        var weights = ConnectionWeights(model).ToList();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var magnitudes = cat(weights.Select(w => w.detach().abs().flatten()).ToList());
        long removed = (long)Math.Round(amount * magnitudes.numel());
        if (removed < 1) throw new VisionLabException($"pruning {amount:P0} of {magnitudes.numel()} weights removes none");
        // The removed-th smallest magnitude; weights at or below it go (ties at zero included).
        double threshold = magnitudes.kthvalue(removed, 0).values.item<float>();
        var masks = weights.Select(w => (w, w.abs().GreaterThan(threshold).to_type(w.dtype).DetachFromDisposeScope())).ToList();
        var result = new WeightMasks(masks);
        result.Apply();
        return result;
    }

    /// <summary>Weights of convolutions and fully connected layers: the ones magnitude pruning ranks.</summary>
    public static IEnumerable<Tensor> ConnectionWeights(nn.Module model) => model.modules()
        .Select(m => m switch { Convolution c => c.weight, Linear l => l.weight, _ => null })
        .OfType<Tensor>();

    public void Apply()
    {
        using var _ = no_grad();
        foreach (var (weight, keep) in masks) weight.mul_(keep);
    }

    public void OnBatchEnd(Trainer trainer, in BatchProgress progress) => Apply();

    public void Dispose()
    {
        foreach (var (_, keep) in masks) keep.Dispose();
        masks.Clear();
    }
}
