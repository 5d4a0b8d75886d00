using VisionLab.Tests.Support;
using Xunit.Abstractions;

namespace VisionLab.Tests.Models;

public sealed class DenseNetCases : IParityCases
{
    public ParityCase[] Everyday =>
    [
        new("densenet121", 1000, 3, 64, 64),
        new("densenet121", 10, 1, 64, 64),
    ];

    public ParityCase[] Large =>
    [
        new("densenet161", 1000, 3, 64, 64),
        new("densenet169", 1000, 3, 64, 64),
        new("densenet201", 1000, 3, 64, 64),
    ];
}

public sealed class DenseNetParityTests(ParityReferences<DenseNetCases> references, ITestOutputHelper output)
    : ParityTests<DenseNetCases>(references, output);
