using VisionLab.Models;
using VisionLab.Tests.Support;
using Xunit.Abstractions;

namespace VisionLab.Tests.Models;

public sealed class MobileNetCases : IParityCases
{
    public ParityCase[] Everyday =>
    [
        new("mobilenet_v2", 1000, 3, 64, 64),
        new("mobilenet_v3_small", 1000, 3, 64, 64),
        new("mobilenet_v3_small", 10, 1, 64, 64),
        new("mnasnet0_5", 1000, 3, 64, 64),
        new("mnasnet0_5", 7, 1, 64, 80),
    ];

    public ParityCase[] Large =>
    [
        new("mobilenet_v2", 10, 1, 96, 96),
        new("mobilenet_v3_large", 1000, 3, 96, 96),
        new("mnasnet0_75", 1000, 3, 96, 96),
        new("mnasnet1_0", 1000, 3, 96, 96),
        new("mnasnet1_3", 1000, 3, 96, 96),
    ];
}

public sealed class MobileNetParityTests(ParityReferences<MobileNetCases> references, ITestOutputHelper output)
    : ParityTests<MobileNetCases>(references, output);

/// <summary>The heads of the three families, apart from the parity tests so they need no torchvision references.</summary>
public sealed class MobileNetHeadTests
{

    [Theory]
    [InlineData("mobilenet_v2")]
    [InlineData("mobilenet_v3_small")]
    [InlineData("mnasnet0_5")]
    public void Dropout_is_active_only_in_training(string name)
    {
        using var model = ModelZoo.Create(name, new ModelOptions(10, 3));
        using var x = TorchSharp.torch.randn(2, 3, 64, 64);
        using var _ = TorchSharp.torch.no_grad();

        model.eval();
        using var first = model.call(x);
        using var second = model.call(x);
        Assert.True(first.equal(second).all().item<bool>());

        model.train();
        using var features = model.ForwardFeatures(x);
        using var a = model.ForwardHead(features);
        using var b = model.ForwardHead(features);
        Assert.False(a.equal(b).all().item<bool>());
    }
}
