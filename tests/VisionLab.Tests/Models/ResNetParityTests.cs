using VisionLab.Tests.Support;
using Xunit.Abstractions;

namespace VisionLab.Tests.Models;

public sealed class ResNetCases : IParityCases
{
    public ParityCase[] Everyday =>
    [
        new("resnet18", 1000, 3, 96, 128),
        new("resnet18", 10, 1, 28, 28),
        new("resnet34", 7, 3, 64, 64),
        new("resnet50", 1000, 3, 64, 80),
        new("resnext50_32x4d", 5, 3, 64, 64),
        new("wide_resnet50_2", 3, 3, 64, 64),
    ];

    public ParityCase[] Large =>
    [
        new("resnet101", 1000, 3, 64, 64),
        new("resnet152", 1000, 3, 64, 64),
        new("resnext101_32x8d", 1000, 3, 64, 64),
        new("resnext101_64x4d", 1000, 3, 64, 64),
        new("wide_resnet101_2", 1000, 3, 64, 64),
    ];
}

public sealed class ResNetParityTests(ParityReferences<ResNetCases> references, ITestOutputHelper output)
    : ParityTests<ResNetCases>(references, output);
