using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisionLab.Training.Optimizers;

/// <summary>
/// Moves every trainable parameter into one contiguous buffer and every gradient into another,
/// leaving the parameters as views of them. Autograd then accumulates straight into the flat
/// gradient, and an optimiser step is a handful of operations on two long vectors instead of a
/// handful per parameter (the idea behind PyTorch's fused and foreach optimisers).
/// </summary>
/// <remarks>Pack after the model has reached its device; moving it later would undo the views.</remarks>
public sealed class FlatParameters : IDisposable
{
    public FlatParameters(IEnumerable<Parameter> parameters)
    {
        Parameters = parameters.Where(p => p.requires_grad).ToArray();
        if (Parameters.Count == 0)
            throw new VisionLabException("the model has no trainable parameters");
        var first = Parameters[0];
        if (Parameters.Any(p => p.dtype != first.dtype || p.device.ToString() != first.device.ToString()))
            throw new VisionLabException("all trainable parameters must share one dtype and device to be optimised together");

        long total = Parameters.Sum(p => p.numel());
        Values = empty(total, first.dtype, first.device);
        Gradients = zeros(total, first.dtype, first.device);
        using var _ = no_grad();
        long offset = 0;
        foreach (var p in Parameters)
        {
            long n = p.numel();
            using var value = Values.narrow(0, offset, n).view(p.shape);
            value.copy_(p);
            p.set_(value);
            p.grad = Gradients.narrow(0, offset, n).view(p.shape);
            offset += n;
        }
    }

    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>All parameter values, end to end.</summary>
    public Tensor Values { get; }

    /// <summary>All gradients, end to end, in the same order.</summary>
    public Tensor Gradients { get; }

    public void ZeroGradients() => Gradients.zero_();

    public void Dispose()
    {
        Values.Dispose();
        Gradients.Dispose();
    }
}
