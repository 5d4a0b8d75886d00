using VisionLab.Tests.Support;
using Xunit.Abstractions;

namespace VisionLab.Tests.Models;

public sealed class VggCases : IParityCases
{
    public ParityCase[] Everyday =>
    [
        new("alexnet", 10, 3, 64, 64),
        new("alexnet", 1000, 1, 96, 96),
        new("vgg11", 10, 3, 32, 32),
        new("vgg11_bn", 5, 3, 32, 32),
        new("squeezenet1_0", 10, 3, 64, 64),
        new("squeezenet1_1", 10, 3, 64, 64),
    ];

    public ParityCase[] Large =>
    [
        new("vgg13", 1000, 3, 32, 32),
        new("vgg13_bn", 1000, 3, 32, 32),
        new("vgg16", 1000, 3, 32, 32),
        new("vgg16_bn", 1000, 3, 32, 32),
        new("vgg19", 1000, 3, 32, 32),
        new("vgg19_bn", 1000, 3, 32, 32),
    ];
}

public sealed class VggParityTests(ParityReferences<VggCases> references, ITestOutputHelper output)
    : ParityTests<VggCases>(references, output);
