using TorchSharp;
using TorchSharp.Modules;
using VisionLab.Runtime;
using static TorchSharp.torch;

namespace VisionLab.Models;

/// <summary>
/// Batch normalisation over the channels of (N, C, H, W) maps — Ioffe and Szegedy, "Batch
/// Normalization", ICML 2015 — exactly as TorchSharp's <c>BatchNorm2d</c> computes it, with the same
/// parameters and buffers (<c>weight</c>, <c>bias</c>, <c>running_mean</c>, <c>running_var</c>,
/// <c>num_batches_tracked</c>), so torchvision's state dicts load unchanged.
/// <para>
/// It exists because TorchSharp 0.107's forward pass counts a training batch with
/// <c>num_batches_tracked.add_(1)</c>, which hands libtorch two fresh Scalars that only the finalizer
/// frees: a garbage collection on another thread (a progress bar, a web server's requests) can free
/// them while libtorch reads them (see <see cref="HeldScalars"/>). Here the count goes up through held
/// Scalars; the rest is the same call to <c>batch_norm</c>.
/// </para>
/// <para>
/// It lives in this namespace, not in Blocks, so that every model and block finds it before
/// <c>TorchSharp.Modules.BatchNorm2d</c>: names in the enclosing namespaces come before imported ones,
/// and a family that still called TorchSharp's factory would not compile.
/// </para>
/// </summary>
public sealed class BatchNorm2d : BatchNorm
{
    /// <param name="momentum">How far one training batch moves the running statistics, as PyTorch defines it.</param>
    public BatchNorm2d(long channels, double eps = 1e-5, double momentum = 0.1)
        : base(CheckedChannels(channels), eps, momentum, affine: true, track_running_stats: true, device: null, dtype: null, nameof(BatchNorm2d))
    {
    }

    private static long CheckedChannels(long channels) => channels >= 1
        ? channels
        : throw new ArgumentOutOfRangeException(nameof(channels), channels, $"batch norm needs at least one channel, not {channels}");

    public override Tensor forward(Tensor input)
    {
        ValidateInputDimensions(input);
        // TorchSharp's logic, PyTorch's too: momentum null means a cumulative average over the batches seen.
        double factor = momentum ?? 0.0;
        if (training && track_running_stats && num_batches_tracked is { } seen)
        {
            seen.IncrementInPlace();
            factor = momentum ?? 1.0 / seen.item<long>();
        }
        bool useBatchStatistics = training || (running_mean is null && running_var is null);
        bool useRunningStatistics = !training || track_running_stats;
        return nn.functional.batch_norm(input, useRunningStatistics ? running_mean : null, useRunningStatistics ? running_var : null,
            weight, bias, useBatchStatistics, factor, eps);
    }

    protected override void ValidateInputDimensions(Tensor input)
    {
        if (input.dim() != 4)
            throw new ArgumentException($"BatchNorm2d({num_features}) takes (N, C, H, W) maps, not shape [{string.Join(", ", input.shape)}]");
    }
}
