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

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
