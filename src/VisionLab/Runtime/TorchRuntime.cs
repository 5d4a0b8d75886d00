using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace VisionLab.Runtime;

/// <summary>Process-wide libtorch settings: threads, device and seed.</summary>
public static class TorchRuntime
{
    static TorchRuntime()
    {
        DisableNnpack();
        ConvolutionBackend.RequireExactGradients();
    }

    /// <summary>Applies VisionLab's process-wide libtorch settings; cheap to call again.</summary>
    public static void EnsureInitialized() { }

    /// <summary>
    /// libtorch asks NNPACK whether it can run convolutions that oneDNN does not take, and where
    /// NNPACK cannot initialise — many virtual machines — it prints "Could not initialize NNPACK" to
    /// stderr on every such call. NNPACK serves only batches of 16 or more on CPUs without oneDNN's
    /// support, so switching it off (as PyTorch's torch.backends.nnpack.set_flags(False) does) loses
    /// nothing here and silences the noise. The entry points are C++ symbols of libtorch_cpu
    /// (Itanium ABI: Linux and macOS).
    /// </summary>
    private static void DisableNnpack()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        _ = get_num_threads(); // TorchSharp loads libtorch on first use
        try
        {
            SetUserEnabledNnpack(GlobalContext(), false);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Another libtorch build: its defaults stand.
        }
    }

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    /// <summary>Default intra-op threads: every core the process may use.</summary>
    public static int DefaultThreads => Environment.ProcessorCount;

    public static void SetThreads(int threads)
    {
        if (threads < 1) throw new VisionLabException($"--threads {threads} must be at least 1");
        set_num_threads(threads);
    }

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>, checking that the device exists here.</summary>
    public static Device ParseDevice(string name)
    {
        string lower = name.ToLowerInvariant();
        if (lower == "cpu") return CPU;
        if (lower == "cuda" || lower.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new VisionLabException(
                    $"device '{name}' requested but CUDA is not available: this build uses the CPU libtorch package (see README, 'GPU')");
            return device(lower);
        }
        throw new VisionLabException($"unknown device '{name}' (choose cpu or cuda)");
    }

    public static void Seed(int seed) => manual_seed(seed);
}
