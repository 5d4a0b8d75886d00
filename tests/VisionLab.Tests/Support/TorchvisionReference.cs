using System.Diagnostics;
using System.Text.Json;

namespace VisionLab.Tests.Support;

/// <summary>One model configuration to compare with torchvision.</summary>
/// <param name="Kwargs">Extra arguments for torchvision's builder, e.g. a vision transformer's image_size.</param>
public sealed record ParityCase(string Model, int NumClasses, int InChannels, int Height, int Width, int Batch = 2, int Seed = 1,
    IReadOnlyDictionary<string, object>? Kwargs = null)
{
    public string Id => $"{Model}-{NumClasses}c-{InChannels}x{Height}x{Width}";
}

/// <summary>
/// Runs Debian's torchvision (<c>/usr/bin/python3</c>) once for a set of cases and keeps the
/// seeded weights and reference outputs in a temporary folder, as ARCHITECTURE.md asks: no binary
/// fixtures in git, references made at test time.
/// </summary>
public sealed class TorchvisionReference : IDisposable
{
    private readonly TempFolder folder = new();

    public TorchvisionReference(IReadOnlyList<ParityCase> cases)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "Models", "torchvision_reference.py");
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(folder.Path);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start /usr/bin/python3");
        process.StandardInput.Write(JsonSerializer.Serialize(cases.Select(c => new
        {
            id = c.Id, model = c.Model, num_classes = c.NumClasses, in_channels = c.InChannels,
            height = c.Height, width = c.Width, batch = c.Batch, seed = c.Seed,
            kwargs = c.Kwargs ?? new Dictionary<string, object>(),
        })));
        process.StandardInput.Close();
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"torchvision reference failed (run ./test.sh, which installs python3-torch and python3-torchvision):\n{errors}");
    }

    public string WeightsFile(ParityCase c) => folder.File($"{c.Id}.weights.pt");

    public string InputOutputFile(ParityCase c) => folder.File($"{c.Id}.io.pt");

    public string InputArray(ParityCase c) => folder.File($"{c.Id}.input.npy");

    public string OutputArray(ParityCase c) => folder.File($"{c.Id}.output.npy");

    public void Dispose() => folder.Dispose();
}
