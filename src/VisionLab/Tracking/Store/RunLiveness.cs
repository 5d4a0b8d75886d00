using System.Diagnostics;

namespace VisionLab.Tracking.Store;

/// <summary>
/// A run's process records its end; one that crashes or is killed cannot, and its run stays
/// "running" for ever. On the machine that ran it we can do better: if the recorded process is
/// gone, or its id now belongs to a process started after the run, the run is lost.
/// </summary>
public static class RunLiveness
{
    /// <summary>True when <paramref name="run"/> is recorded as running, started on this machine,
    /// and no longer has its process. Runs of other machines are never called lost: we cannot see
    /// their processes, only how long ago they last reported (<see cref="RunRecord.Updated"/>).</summary>
    public static bool IsLost(RunRecord run)
    {
        if (run.Status != RunStatus.Running || !string.Equals(run.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase))
            return false;
        if (run.ProcessId == Environment.ProcessId) return false;
        try
        {
            using var process = Process.GetProcessById(run.ProcessId);
            if (process.HasExited) return true;
            // A process id is reused once its process has gone; the one holding it now is the
            // run's only if it had already started when the run did (a second of clock slack).
            return process.StartTime.ToUniversalTime() > run.Started.AddSeconds(1);
        }
        catch (ArgumentException)
        {
            return true; // no process with that id
        }
        catch (InvalidOperationException)
        {
            return true; // exited while we looked
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // exists but we may not inspect it: assume it is the run's
        }
    }
}
