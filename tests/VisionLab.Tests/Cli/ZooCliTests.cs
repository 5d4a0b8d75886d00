using System.Diagnostics;
using System.Text.Json;
using VisionLab.Data.NumPy;
using VisionLab.Models;
using VisionLab.Models.Weights;
using VisionLab.Tests.Support;
using static TorchSharp.torch;

namespace VisionLab.Tests.Cli;

/// <summary>The zoo from the command line: infer on NumPy arrays, inspect, import and export weights.</summary>
public sealed class ZooCliTests(ZooCliTests.Reference reference) : IClassFixture<ZooCliTests.Reference>
{
    public static readonly ParityCase Case = new("resnet18", 10, 1, 64, 64);

    public sealed class Reference : IDisposable
    {
        public TorchvisionReference Data { get; } = new([Case]);
        public TempFolder Folder { get; } = new();

        public void Dispose()
        {
            Data.Dispose();
            Folder.Dispose();
        }
    }

    [Fact]
    public void Infer_on_a_numpy_array_gives_torchvisions_output()
    {
        string output = reference.Folder.File("y.npy");
        var result = CliRunner.Run("infer", "--model", "resnet18", "--num-classes", "10",
            "--weights", reference.Data.WeightsFile(Case), "--input", reference.Data.InputArray(Case), "--output", output, "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var actual = NpyFile.Read(output);
        using var expected = NpyFile.Read(reference.Data.OutputArray(Case));
        Assert.Equal(expected.shape, actual.shape);
        double difference = (actual - expected).abs().max().item<float>();
        double scale = Math.Max(1.0, expected.abs().max().item<float>());
        Assert.True(difference <= 1e-4 * scale, $"max difference {difference:E2} at scale {scale:F2}");
    }

    [Fact]
    public void Inspect_lists_the_tensors_and_says_when_weights_do_not_fit()
    {
        var fits = CliRunner.Run("weights", "inspect", reference.Data.WeightsFile(Case), "--model", "resnet18",
            "--num-classes", "10", "--in-channels", "1", "--json");
        Assert.True(fits.ExitCode == 0, fits.Stderr);
        using var json = JsonDocument.Parse(fits.Stdout);
        // torchvision's 11,689,512, less the 1000-class head and the 3-channel stem, plus a 10-class
        // head and a 1-channel stem.
        Assert.Equal(11_689_512 - 513_000 + 5_130 - 64 * 3 * 49 + 64 * 1 * 49, json.RootElement.GetProperty("entries").EnumerateArray()
            .Where(e => !e.GetProperty("name").GetString()!.Contains("running") && !e.GetProperty("name").GetString()!.EndsWith("num_batches_tracked"))
            .Sum(e => e.GetProperty("elements").GetInt64()));

        var misfit = CliRunner.Run("weights", "inspect", reference.Data.WeightsFile(Case), "--model", "resnet34",
            "--num-classes", "10", "--in-channels", "1");
        Assert.Equal(1, misfit.ExitCode);
        Assert.Contains("missing keys: layer1.2.conv1.weight", misfit.Stdout.Replace("\n", ""));
    }

    [Fact]
    public void Import_makes_a_checkpoint_that_export_turns_back_into_torch_loadable_weights()
    {
        string checkpoint = reference.Folder.File("imported.ckpt");
        string exported = reference.Folder.File("exported.pt");
        var import = CliRunner.Run("weights", "import", reference.Data.WeightsFile(Case), "--model", "resnet18",
            "--num-classes", "10", "--in-channels", "1", "--input", "1x64x64", "--out", checkpoint);
        Assert.True(import.ExitCode == 0, import.Stderr);
        var export = CliRunner.Run("weights", "export", "--checkpoint", checkpoint, "--out", exported);
        Assert.True(export.ExitCode == 0, export.Stderr);

        // PyTorch itself reads the exported file back, and it equals what torchvision wrote.
        string script = $"import torch; a = torch.load('{reference.Data.WeightsFile(Case)}'); b = torch.load('{exported}'); " +
                        "assert a.keys() == b.keys(), 'keys differ'; " +
                        "assert all(torch.equal(a[k], b[k]) for k in a), 'values differ'; print(len(b))";
        var python = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-c", script]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        string stderr = python.StandardError.ReadToEnd();
        python.WaitForExit();
        Assert.True(python.ExitCode == 0, stderr);
    }

    [Fact]
    public void Summary_reports_layers_parameters_and_multiply_adds()
    {
        var result = CliRunner.Run("summary", "resnet18", "--input", "1x1x64x64", "--num-classes", "10", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.Equal(11_175_370, root.GetProperty("parameters").GetInt64());
        var layers = root.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal("conv1", layers[0].GetProperty("name").GetString());
        Assert.Equal(new long[] { 1, 64, 32, 32 }, layers[0].GetProperty("output_shape").EnumerateArray().Select(d => d.GetInt64()));
        Assert.Equal(64L * 32 * 32 * 49, layers[0].GetProperty("macs").GetInt64());
        Assert.Equal(layers.Sum(l => l.GetProperty("macs").GetInt64()), root.GetProperty("macs").GetInt64());
    }

    [Fact]
    public void Small_batch_convolutions_print_no_libtorch_noise()
    {
        // DenseNet's 1x1 convolutions at batch 1 are the ones libtorch offers to NNPACK.
        var result = CliRunner.Run("summary", "densenet121", "--input", "1x3x32x32", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("", result.Stderr);
    }

    [Theory]
    [InlineData("model.pt")]
    [InlineData("model.safetensors")]
    public void Weights_files_round_trip_with_identical_outputs(string name)
    {
        using var dir = new TempFolder();
        manual_seed(4);
        using var a = ModelZoo.Create("resnet18", new ModelOptions(10, 3));
        using var b = ModelZoo.Create("resnet18", new ModelOptions(10, 3));
        WeightsFile.Write(a, dir.File(name));
        WeightsFile.LoadInto(b, dir.File(name));
        a.eval();
        b.eval();
        using var x = randn(1, 3, 64, 64);
        using var ya = a.call(x);
        using var yb = b.call(x);
        Assert.True(ya.SameAs(yb));
    }

    [Fact]
    public void Weights_for_another_architecture_are_refused_and_nothing_is_loaded()
    {
        using var model = ModelZoo.Create("resnet34", new ModelOptions(10, 1));
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var e = Assert.Throws<VisionLabException>(() => WeightsFile.LoadInto(model, reference.Data.WeightsFile(Case)));
        Assert.Contains("missing keys", e.Message);
        foreach (var (key, value) in model.state_dict())
            Assert.True(value.SameAs(before[key]), $"{key} changed");
    }
}
