using TorchSharp.PyBridge;
using VisionLab.Models;
using VisionLab.Models.Weights;
using VisionLab.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VisionLab.Tests.Models;

/// <summary>The configurations of one model family to compare with torchvision.</summary>
public interface IParityCases
{
    /// <summary>Small enough to run on every test run.</summary>
    ParityCase[] Everyday { get; }

    /// <summary>Run only with VISIONLAB_PARITY_ALL=1.</summary>
    ParityCase[] Large { get; }
}

/// <summary>Makes a family's torchvision references once for all its tests.</summary>
public sealed class ParityReferences<TCases> : IDisposable where TCases : IParityCases, new()
{
    public TorchvisionReference Data { get; } =
        new(ParityTests<TCases>.IncludeLarge ? [.. new TCases().Everyday, .. new TCases().Large] : new TCases().Everyday);

    public void Dispose() => Data.Dispose();
}

/// <summary>
/// A zoo family loads torchvision's state dicts unchanged and, in eval mode, gives torchvision's
/// outputs: max |difference| ≤ 1e-4 × max(1, largest reference output). A family's test class
/// derives from this with its cases; set VISIONLAB_PARITY_ALL=1 to include the large models.
/// </summary>
public abstract class ParityTests<TCases>(ParityReferences<TCases> references, ITestOutputHelper output)
    : IClassFixture<ParityReferences<TCases>> where TCases : IParityCases, new()
{
    public static bool IncludeLarge => Environment.GetEnvironmentVariable("VISIONLAB_PARITY_ALL") == "1";

    public static TheoryData<string> EverydayIds() => new(new TCases().Everyday.Select(c => c.Id));

    public static TheoryData<string> LargeIds() => new(new TCases().Large.Select(c => c.Id));

    [Theory]
    [MemberData(nameof(EverydayIds))]
    public void Outputs_match_torchvision(string id) => AssertParity(new TCases().Everyday.Single(c => c.Id == id));

    [Theory]
    [MemberData(nameof(LargeIds))]
    public void Large_model_outputs_match_torchvision(string id)
    {
        if (!IncludeLarge) return;
        AssertParity(new TCases().Large.Single(c => c.Id == id));
    }

    private void AssertParity(ParityCase c)
    {
        using var model = ModelZoo.Create(c.Model, new ModelOptions(c.NumClasses, c.InChannels));
        WeightsFile.LoadInto(model, references.Data.WeightsFile(c));
        model.eval();
        var io = PyTorchUnpickler.UnpickleStateDict(references.Data.InputOutputFile(c));
        using var input = (Tensor)io["input"]!;
        using var expected = (Tensor)io["output"]!;
        using var _ = no_grad();
        using var actual = model.call(input);

        Assert.Equal(expected.shape, actual.shape);
        double difference = (actual - expected).abs().max().item<float>();
        double scale = Math.Max(1.0, expected.abs().max().item<float>());
        output.WriteLine($"{c.Id}: max |difference| {difference:E2}, largest reference output {scale:F2}");
        Assert.True(difference <= 1e-4 * scale, $"{c.Id}: max difference {difference:E2} (reference scale {scale:F2})");
    }
}
