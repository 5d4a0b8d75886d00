using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisionLab.Models;

/// <summary>
/// A module whose work is not all done by Conv2d and Linear submodules — attention's matrix
/// products, a projection held as a bare parameter — reports the multiply-adds of that work itself,
/// so <see cref="ModelSummary"/> can count them; its Conv2d and Linear submodules are counted apart.
/// </summary>
public interface IReportsMultiplyAdds
{
    /// <summary>Multiply-adds of the module's own computation for one call on <paramref name="input"/>.</summary>
    long OwnMultiplyAdds(Tensor input, Tensor output);
}

/// <summary>One layer as a summary table shows it.</summary>
public sealed record LayerSummary(string Name, string Type, long[] OutputShape, long Parameters, long Macs);

/// <summary>A model's layers for one input shape, with totals (like torchinfo's summary).</summary>
public sealed record ModelSummary(string Model, long[] InputShape, long[] OutputShape, IReadOnlyList<LayerSummary> Layers,
    long Parameters, long TrainableParameters, long Macs)
{
    /// <summary>
    /// Runs one eval-mode forward pass on zeros of <paramref name="inputShape"/> with a forward hook
    /// on every layer that holds parameters, recording output shapes, parameters and multiply-adds.
    /// MACs count convolutions, fully connected layers and what modules report through
    /// <see cref="IReportsMultiplyAdds"/>, such as attention's matrix products (the convention of
    /// torchvision's published operation counts); normalisation, activations and pooling are
    /// comparatively free.
    /// </summary>
    public static ModelSummary Of(string name, ImageClassifier model, long[] inputShape)
    {
        var layers = new List<LayerSummary>();
        var removers = new List<Action>();
        foreach (var (path, module) in model.named_modules())
        {
            bool reports = module is IReportsMultiplyAdds;
            if (module is not nn.Module<Tensor, Tensor> layer || (module.named_children().Any() && !reports)) continue;
            long parameters = module.parameters(recurse: false).Sum(p => p.numel());
            if (parameters == 0 && !reports) continue;
            var hook = layer.register_forward_hook((_, input, output) =>
            {
                layers.Add(new LayerSummary(path, module.GetType().Name, output.shape, parameters, LayerMacs(module, input, output)));
                return output;
            });
            removers.Add(hook.remove);
        }
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var output = model.call(zeros(inputShape));
            long total = model.parameters().Sum(p => p.numel());
            long trainable = model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
            return new ModelSummary(name, inputShape, output.shape, layers, total, trainable, layers.Sum(l => l.Macs));
        }
        catch (System.Runtime.InteropServices.ExternalException e)
        {
            throw new VisionLabException($"{name} cannot take input [{string.Join(", ", inputShape)}]: {e.Message.Split('\n')[0]}", e);
        }
        finally
        {
            foreach (var remove in removers) remove();
            model.train(wasTraining);
        }
    }

    private static long LayerMacs(nn.Module module, Tensor input, Tensor output) => module switch
    {
        IReportsMultiplyAdds reporter => reporter.OwnMultiplyAdds(input, output),
        // Each output element is a dot product over (input channels / groups) × kernel window.
        Convolution { transposed: false } conv => output.numel() * (conv.in_channels / conv.groups) * conv.kernel_size.Aggregate(1L, (a, k) => a * k),
        Linear linear => output.numel() * linear.in_features,
        _ => 0,
    };
}
