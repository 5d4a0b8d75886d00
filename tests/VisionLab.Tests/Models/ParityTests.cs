using System.Collections;
using TorchSharp.PyBridge;
using VisionLab.Models;
using VisionLab.Models.Weights;
using VisionLab.Tests.Support;
using static TorchSharp.torch;

namespace VisionLab.Tests.Models;

/// <summary>
/// Every zoo model loads torchvision's state dict unchanged and, in eval mode, gives torchvision's
/// outputs: max |difference| ≤ 1e-4 × max(1, largest reference output). The small models run on
/// every test run; set VISIONLAB_PARITY_ALL=1 to include the large ones.
/// </summary>
public sealed class ParityTests(ParityTests.References references, Xunit.Abstractions.ITestOutputHelper output)
    : IClassFixture<ParityTests.References>
{
    public static readonly ParityCase[] Everyday =
    [
        new("resnet18", 1000, 3, 96, 128),
        new("resnet18", 10, 1, 28, 28),
        new("resnet34", 7, 3, 64, 64),
        new("resnet50", 1000, 3, 64, 80),
        new("resnext50_32x4d", 5, 3, 64, 64),
        new("wide_resnet50_2", 3, 3, 64, 64),
    ];

    public static readonly ParityCase[] Large =
    [
        new("resnet101", 1000, 3, 64, 64),
        new("resnet152", 1000, 3, 64, 64),
        new("resnext101_32x8d", 1000, 3, 64, 64),
        new("resnext101_64x4d", 1000, 3, 64, 64),
        new("wide_resnet101_2", 1000, 3, 64, 64),
    ];

    public static bool IncludeLarge => Environment.GetEnvironmentVariable("VISIONLAB_PARITY_ALL") == "1";

    public sealed class References() : IDisposable
    {
        public TorchvisionReference Data { get; } = new(IncludeLarge ? [.. Everyday, .. Large] : Everyday);
        public void Dispose() => Data.Dispose();
    }

    public static TheoryData<string> EverydayIds() => new(Everyday.Select(c => c.Id));
    public static TheoryData<string> LargeIds() => new(Large.Select(c => c.Id));

    [Theory]
    [MemberData(nameof(EverydayIds))]
    public void Outputs_match_torchvision(string id) => AssertParity(Everyday.Single(c => c.Id == id));

    [Theory]
    [MemberData(nameof(LargeIds))]
    public void Large_model_outputs_match_torchvision(string id)
    {
        if (!IncludeLarge) return;
        AssertParity(Large.Single(c => c.Id == id));
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
