using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisionLab.Runtime;

/// <summary>
/// Which libtorch kernels run float32 convolutions on the CPU.
/// <para>
/// The oneDNN 3.7 inside libtorch 2.10 computes some convolutions wrongly on this project's
/// machines (AMD EPYC), whatever ISA it is capped at short of SSE4.1: forward passes whose input
/// channels (per group) are above the vector width and not a multiple of it (8 with AVX2, 16 with
/// AVX-512), and input gradients for many shapes, including output channels that are multiples of
/// 16: of 1,628 random shapes checked against float64, 362 were wrong with AVX-512 and 270 with
/// AVX2; only the SSE4.1 kernels, far slower, were all right.
/// libtorch's own kernels (im2col and GEMM) got every one right, so they are the default: oneDNN
/// convolutions are switched off for the process before any runs.
/// </para>
/// <para>
/// A process that only runs forward passes may switch oneDNN back on, with the convolutions of a
/// shape the forward fault touches routed to libtorch's kernels (<see cref="UseOneDnnForInference"/>);
/// the CLI's inference commands do. Training switches it off again (<see cref="RequireExactGradients"/>)
/// and sends to oneDNN only the convolution geometries it has checked (<see cref="OneDnnTrainingRouting"/>).
/// The switch is libtorch's, so it is process-wide.
/// </para>
/// </summary>
public static class ConvolutionBackend
{
    private static readonly object Gate = new();

    /// <summary>Whether oneDNN runs convolutions in this process now.</summary>
    public static bool OneDnnEnabled { get; private set; } = true;

#pragma warning disable CA2255 // Must hold before the first convolution anywhere in the process.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void SwitchOffAtLoad()
    {
        try
        {
            SetOneDnn(false);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
        {
            // Another libtorch build, or none yet: TorchRuntime tries again when it initialises.
        }
    }

    /// <summary>Switches oneDNN convolutions off (a no-op when they are). Every gradient computed
    /// afterwards comes from libtorch's own kernels.</summary>
    public static void RequireExactGradients() => SetOneDnn(false);

    /// <summary>
    /// Switches oneDNN convolutions on for the forward passes of <paramref name="model"/>. Convolutions
    /// of a shape its forward kernels get wrong are hooked so that libtorch's own kernels run them:
    /// each switches oneDNN off on entry and back on when the last such convolution in flight (on any
    /// thread) has finished, so none ever runs on oneDNN, while the others do.
    /// Returns the hooks' count; dispose the result to remove them, which switches oneDNN off again
    /// once no routing is left, so a process that served or evaluated and then trains (a test run,
    /// a notebook) computes exact gradients. While a routing is alive, call
    /// <see cref="RequireExactGradients"/> before computing convolution gradients.
    /// </summary>
    public static InferenceRouting UseOneDnnForInference(nn.Module model)
    {
        var removers = new List<Action>();
        // named_modules leaves out the module itself, which may be a convolution.
        foreach (var module in model.named_modules().Select(m => m.module).Prepend(model))
        {
            if (!IsUnsafe(module) || module is not nn.Module<Tensor, Tensor> layer) continue;
            removers.Add(layer.register_forward_pre_hook((_, input) =>
            {
                EnterUnsafe();
                return input;
            }).remove);
            removers.Add(layer.register_forward_hook((_, _, output) =>
            {
                LeaveUnsafe();
                return output;
            }).remove);
        }
        lock (Gate)
        {
            liveRoutings++;
            SetOneDnn(true);
        }
        return new InferenceRouting(removers.Count / 2, removers);
    }

    private static int liveRoutings;

    /// <summary>The hooks <see cref="UseOneDnnForInference"/> placed on one model.</summary>
    public sealed class InferenceRouting(int routedConvolutions, List<Action> removers) : IDisposable
    {
        /// <summary>Convolutions that run on libtorch's own kernels.</summary>
        public int RoutedConvolutions { get; } = routedConvolutions;

        private bool disposed;

        public void Dispose()
        {
            foreach (var remove in removers) remove();
            removers.Clear();
            lock (Gate)
            {
                if (disposed) return;
                disposed = true;
                if (--liveRoutings == 0) SetOneDnn(false);
            }
        }
    }

    private static int unsafeInFlight;
    private static int oneDnnInFlight;

    // A convolution that throws never reaches its forward hook; libtorch's own kernels then keep
    // running everything until RequireExactGradients or the next successful inference resets.
    private static void EnterUnsafe()
    {
        lock (Gate)
        {
            unsafeInFlight++;
            ApplySwitch();
        }
    }

    private static void LeaveUnsafe()
    {
        lock (Gate)
        {
            unsafeInFlight--;
            ApplySwitch();
        }
    }

    /// <summary>Runs a computation on libtorch's own kernels, whatever else is in flight.</summary>
    internal static T RunOnLibtorchKernels<T>(Func<T> compute)
    {
        EnterUnsafe();
        try
        {
            return compute();
        }
        finally
        {
            LeaveUnsafe();
        }
    }

    /// <summary>
    /// Runs a computation whose convolutions are known to be right on oneDNN — depthwise ones
    /// (<c>DepthwiseConv2dTests</c>) and shapes <see cref="OneDnnVerification"/> has checked — on
    /// oneDNN. With oneDNN switched off, the switch is on only while such computations are in flight,
    /// which assumes, like the switch itself, that no other thread computes other convolutions
    /// meanwhile (training runs one step at a time). With it on for inference, nothing changes; while a
    /// routed convolution runs on another thread, this one runs on libtorch's kernels too, slower but right.
    /// </summary>
    internal static T RunOnOneDnn<T>(Func<T> compute)
    {
        EnterOneDnn();
        try
        {
            return compute();
        }
        finally
        {
            LeaveOneDnn();
        }
    }

    internal static void RunOnOneDnn(Action compute) => RunOnOneDnn(() =>
    {
        compute();
        return true;
    });

    internal static void EnterOneDnn()
    {
        lock (Gate)
        {
            oneDnnInFlight++;
            ApplySwitch();
        }
    }

    internal static void LeaveOneDnn()
    {
        lock (Gate)
        {
            oneDnnInFlight--;
            ApplySwitch();
        }
    }

    private static void ApplySwitch() => SetLibtorchSwitch(unsafeInFlight == 0 && (OneDnnEnabled || oneDnnInFlight > 0));

    private static bool IsUnsafe(nn.Module module) =>
        module is Convolution conv && !(IsPlanar(conv) && IsForwardSafe(conv));

    private static bool IsPlanar(Convolution conv) => !conv.transposed && conv.kernel_size.Length == 2;

    /// <summary>The names of the convolutions in <paramref name="model"/> that oneDNN may compute wrongly.</summary>
    public static IReadOnlyList<string> UnsafeForOneDnn(nn.Module model) =>
        model.named_modules().Where(m => IsUnsafe(m.module)).Select(m => m.name).ToList();

    /// <summary>
    /// Forward passes were right for every shape with at most 8 input channels per group, or a
    /// multiple of 16 — both vector widths' safe sets — at dilation 1 with zero padding, the only
    /// settings the sweep covered.
    /// </summary>
    public static bool IsForwardSafe(Convolution conv)
    {
        long perGroup = conv.in_channels / conv.groups;
        return (perGroup <= 8 || perGroup % 16 == 0)
            && conv.dilation.All(d => d == 1)
            && conv.padding_mode == PaddingModes.Zeros;
    }

    internal static void SetOneDnn(bool enabled)
    {
        lock (Gate)
        {
            // The entry points are C++ symbols of libtorch_cpu (Itanium ABI); elsewhere libtorch's default stands.
            if (enabled == OneDnnEnabled || !(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())) return;
            if (!enabled) unsafeInFlight = 0;
            OneDnnEnabled = enabled;
            ApplySwitch();
        }
    }

    private static void SetLibtorchSwitch(bool enabled)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())) return;
        _ = get_num_threads(); // TorchSharp loads libtorch on first use
        SetUserEnabledMkldnn(GlobalContext(), enabled);
    }

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);
}
