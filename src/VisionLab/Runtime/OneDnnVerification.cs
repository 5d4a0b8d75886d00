using System.Collections.Concurrent;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisionLab.Runtime;

/// <summary>
/// Checks, once per convolution geometry, whether oneDNN computes it right: output, input gradient,
/// weight gradient and bias gradient of random float32 data against libtorch's float64 kernels (which
/// oneDNN never runs). The fault <see cref="ConvolutionBackend"/> describes depends on the shapes
/// alone — which kernel oneDNN picks for them — so a geometry checked once is right every time.
/// <para>
/// The geometry is everything that picks the kernel: input shape (batch included), weight shape,
/// stride, padding, dilation, groups, bias, and libtorch's thread count. The random data comes
/// from a generator of its own, so a check leaves the global random stream — and a seeded run's
/// initialisation and batches — as they were.
/// </para>
/// </summary>
public static class OneDnnVerification
{
    /// <summary>Largest error allowed, relative to the float64 result's largest magnitude. Right
    /// kernels stay near 1e-6; the faulty ones are off by 1e-2 and more.</summary>
    public const double Tolerance = 1e-4;

    private static readonly ConcurrentDictionary<string, bool> Verdicts = new();

    /// <summary>Geometries checked so far in this process.</summary>
    public static int CheckedGeometries => Verdicts.Count;

    /// <summary>Whether oneDNN computes <paramref name="conv"/> right on inputs of <paramref name="inputShape"/>;
    /// checks on first sight. Convolutions <see cref="CanCheck"/> refuses are never sent to oneDNN.</summary>
    public static bool IsRightOnOneDnn(Convolution conv, long[] inputShape)
    {
        if (!CanCheck(conv) || inputShape.Length != 4) return false;
        string key = string.Join(',', inputShape) + '|' + string.Join(',', conv.weight!.shape) + '|'
            + string.Join(',', conv.stride) + '|' + string.Join(',', conv.padding!) + '|' + string.Join(',', conv.dilation)
            + '|' + conv.groups + '|' + (conv.bias is not null) + '|' + get_num_threads();
        return Verdicts.GetOrAdd(key, _ => Check(conv, inputShape));
    }

    /// <summary>Planar, not transposed, zero-padded by explicit amounts: what the check (and
    /// <c>conv2d</c>) covers.</summary>
    public static bool CanCheck(Convolution conv) =>
        !conv.transposed && conv.kernel_size.Length == 2 && conv.padding is not null && conv.padding_mode == PaddingModes.Zeros;

    private static bool Check(Convolution conv, long[] inputShape)
    {
        using var scope = NewDisposeScope();
        using var gradients = enable_grad();
        var generator = new Generator(20261128);
        long[] weightShape = conv.weight!.shape;
        long fanIn = weightShape.Skip(1).Aggregate(1L, (a, b) => a * b);
        var x = randn(inputShape, ScalarType.Float64, generator: generator);
        var w = randn(weightShape, ScalarType.Float64, generator: generator).DividedBy(Math.Sqrt(fanIn));
        var b = conv.bias is null ? null : randn(weightShape[0], ScalarType.Float64, generator: generator);
        Tensor Convolve(Tensor input, Tensor weight, Tensor? bias) => nn.functional.conv2d(input, weight, bias,
            strides: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: conv.groups);

        var reference = Gradients(Convolve, x, w, b, dy: null);
        var dy = randn(reference[0].shape, ScalarType.Float64, generator: generator);
        reference = Gradients(Convolve, x, w, b, dy);
        var candidate = ConvolutionBackend.RunOnOneDnn(() => Gradients(Convolve,
            x.to_type(ScalarType.Float32), w.to_type(ScalarType.Float32), b?.to_type(ScalarType.Float32), dy.to_type(ScalarType.Float32)));
        return reference.Zip(candidate).All(pair =>
        {
            double scale = pair.First.abs().max().item<double>();
            double error = (pair.Second.to_type(ScalarType.Float64) - pair.First).abs().max().item<double>();
            return error <= Tolerance * Math.Max(scale, 1e-30);
        });
    }

    /// <returns>The output, then the gradients of <c>sum(output * dy)</c> for input, weight and bias
    /// (the output alone while <paramref name="dy"/> is null).</returns>
    private static List<Tensor> Gradients(Func<Tensor, Tensor, Tensor?, Tensor> convolve, Tensor x, Tensor w, Tensor? b, Tensor? dy)
    {
        var leaves = new List<Tensor> { x.detach().requires_grad_(), w.detach().requires_grad_() };
        if (b is not null) leaves.Add(b.detach().requires_grad_());
        var output = convolve(leaves[0], leaves[1], b is null ? null : leaves[2]);
        if (dy is null) return [output];
        return [output, .. autograd.grad([output], leaves, [dy])];
    }
}
