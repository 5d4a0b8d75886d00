using static TorchSharp.torch;

namespace VisionLab.Runtime;

/// <summary>Process-wide libtorch settings: threads, device and seed.</summary>
public static class TorchRuntime
{
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
