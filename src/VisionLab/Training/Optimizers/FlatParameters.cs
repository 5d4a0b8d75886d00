using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisionLab.Training.Optimizers;

/// <summary>
/// Moves every trainable parameter into one contiguous buffer and every gradient into another,
/// leaving the parameters as views of them. Autograd then accumulates straight into the flat
/// gradient, and an optimiser step is a handful of operations on two long vectors instead of a
/// handful per parameter (the idea behind PyTorch's fused and foreach optimisers).
/// </summary>
/// <remarks>
/// Pack after the model has reached its device and its head has its final size; moving it or
/// replacing a layer later would undo the views. Parameters keep their names (pass
/// <c>model.named_parameters()</c>), so that per-parameter settings — no weight decay on norms and
/// biases, a smaller rate for a pretrained backbone — can be laid over the flat buffer.
/// </remarks>
public sealed class FlatParameters : IDisposable
{
    /// <summary>Packs the trainable parameters among <paramref name="parameters"/>, keeping their names.</summary>
    public FlatParameters(IEnumerable<(string name, Parameter parameter)> parameters)
    {
        var trainable = parameters.Where(p => p.parameter.requires_grad).ToArray();
        if (trainable.Length == 0)
            throw new VisionLabException("the model has no trainable parameters");
        var duplicate = trainable.GroupBy(p => p.name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new VisionLabException($"two trainable parameters are both named '{duplicate.Key}'");
        Parameters = trainable.Select(p => p.parameter).ToArray();
        Names = trainable.Select(p => p.name).ToArray();
        var first = Parameters[0];
        if (Parameters.Any(p => p.dtype != first.dtype || p.device.ToString() != first.device.ToString()))
            throw new VisionLabException("all trainable parameters must share one dtype and device to be optimised together");

        long total = Parameters.Sum(p => p.numel());
        Values = empty(total, first.dtype, first.device);
        Gradients = zeros(total, first.dtype, first.device);
        var offsets = new long[Parameters.Count];
        using var _ = no_grad();
        long offset = 0;
        for (int i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            long n = p.numel();
            offsets[i] = offset;
            using var value = Values.narrow(0, offset, n).view(p.shape);
            value.copy_(p);
            p.set_(value);
            p.grad = Gradients.narrow(0, offset, n).view(p.shape);
            offset += n;
        }
        Offsets = offsets;
    }

    /// <summary>Packs unnamed parameters; they are called <c>parameter0</c>, <c>parameter1</c>, … in order.</summary>
    public FlatParameters(IEnumerable<Parameter> parameters)
        : this(parameters.Select((p, i) => ($"parameter{i}", p)))
    {
    }

    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Name of each parameter, in the order of <see cref="Parameters"/>.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Where each parameter starts in <see cref="Values"/> and <see cref="Gradients"/>.</summary>
    public IReadOnlyList<long> Offsets { get; }

    /// <summary>All parameter values, end to end.</summary>
    public Tensor Values { get; }

    /// <summary>All gradients, end to end, in the same order.</summary>
    public Tensor Gradients { get; }

    public void ZeroGradients() => Gradients.zero_();

    /// <summary>Index of the parameter called <paramref name="name"/>.</summary>
    public int IndexOf(string name)
    {
        for (int i = 0; i < Names.Count; i++)
            if (Names[i] == name) return i;
        throw new VisionLabException($"no trainable parameter is named '{name}'");
    }

    public void Dispose()
    {
        Values.Dispose();
        Gradients.Dispose();
    }
}
