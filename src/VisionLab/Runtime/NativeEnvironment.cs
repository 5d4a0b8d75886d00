using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VisionLab.Runtime;

/// <summary>
/// Settings libtorch's native libraries read from the process environment, applied before any of
/// them runs. .NET's Environment.SetEnvironmentVariable does not reach native code on Unix, so
/// they go through libc's setenv. A value the user has already set is left as it is.
/// </summary>
internal static class NativeEnvironment
{
    /// <summary>
    /// The oneDNN 3.7 inside libtorch 2.10 computes some float32 convolutions wrongly with its
    /// AVX-512 kernels: with more than 16 input channels that are not a multiple of 16 (GoogLeNet's
    /// 24-channel branch, for one) and a batch of more than one image, outputs are off by up to a
    /// quarter of their scale. The AVX2 kernels are right. Until a fixed libtorch is served, VisionLab
    /// caps oneDNN at AVX2; a test guards the case.
    /// </summary>
    private const string OneDnnIsaCap = "AVX2";

#pragma warning disable CA2255 // The cap must be in place before the first convolution anywhere in the process.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Apply()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return;
        try
        {
            _ = SetEnv("ONEDNN_MAX_CPU_ISA", OneDnnIsaCap, overwrite: 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi)]
    private static extern int SetEnv(string name, string value, int overwrite);
}
