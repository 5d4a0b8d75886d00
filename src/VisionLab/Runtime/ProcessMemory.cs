using System.Runtime.InteropServices;

namespace VisionLab.Runtime;

/// <summary>Resident memory of this process, measured so that epochs can be compared.</summary>
public static class ProcessMemory
{
    /// <summary>
    /// Collects managed garbage (finalising any tensor handles it holds) and, on glibc, hands
    /// freed native heap pages back to the OS, then reads the resident set size. Without the trim,
    /// RSS mostly shows what the allocator keeps cached, which says little about leaks.
    /// </summary>
    public static double SettledResidentMb()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        if (OperatingSystem.IsLinux())
        {
            try { MallocTrim(0); }
            catch (DllNotFoundException) { }
            catch (EntryPointNotFoundException) { }
        }
        return Environment.WorkingSet / (1024.0 * 1024.0);
    }

    /// <summary>
    /// Starts a new peak: on Linux the kernel's high-water mark of resident memory is reset (writing
    /// 5 to /proc/self/clear_refs), after settling as <see cref="SettledResidentMb"/> does. Returns
    /// false where the peak cannot be reset, and <see cref="PeakResidentMb"/> then covers the whole run.
    /// </summary>
    public static bool ResetPeak()
    {
        SettledResidentMb();
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The most resident memory since the last <see cref="ResetPeak"/> (or process start), MB.</summary>
    public static double PeakResidentMb()
    {
        if (OperatingSystem.IsLinux())
        {
            // "VmHWM:    123456 kB"
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            if (line is not null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], out long kb))
                return kb / 1024.0;
        }
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.PeakWorkingSet64 / (1024.0 * 1024.0);
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
