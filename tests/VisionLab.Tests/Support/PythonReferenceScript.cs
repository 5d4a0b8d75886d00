using System.Diagnostics;

namespace VisionLab.Tests.Support;

/// <summary>
/// Runs one of the tests' reference scripts with Debian's Python (<c>/usr/bin/python3</c>, which
/// has torch, torchvision and PIL): the request as JSON on stdin, the output folder as argument.
/// </summary>
public static class PythonReferenceScript
{
    /// <param name="script">Path of the script below the test output folder, e.g. "Data/pil_reference.py".</param>
    public static void Run(string script, string outputFolder, string requestJson)
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, script));
        start.ArgumentList.Add(outputFolder);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start /usr/bin/python3");
        process.StandardInput.Write(requestJson);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        output.Wait();
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"{script} failed (run ./test.sh, which installs python3-torch, python3-torchvision and python3-pil):\n{errors}");
    }
}
