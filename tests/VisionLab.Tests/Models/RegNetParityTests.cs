using VisionLab.Models;
using VisionLab.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VisionLab.Tests.Models;

public sealed class RegNetCases : IParityCases
{
    public ParityCase[] Everyday =>
    [
        new("regnet_x_400mf", 10, 1, 64, 64),
        new("regnet_y_400mf", 1000, 3, 64, 64),
    ];

    public ParityCase[] Large =>
    [
        new("regnet_x_800mf", 1000, 3, 64, 64),
        new("regnet_x_1_6gf", 1000, 3, 64, 64),
        new("regnet_x_3_2gf", 1000, 3, 64, 64),
        new("regnet_x_8gf", 1000, 3, 64, 64),
        new("regnet_x_16gf", 1000, 3, 64, 64),
        new("regnet_x_32gf", 1000, 3, 64, 64),
        new("regnet_y_800mf", 1000, 3, 64, 64),
        new("regnet_y_1_6gf", 1000, 3, 64, 64),
        new("regnet_y_3_2gf", 1000, 3, 64, 64),
        new("regnet_y_8gf", 1000, 3, 64, 64),
        new("regnet_y_16gf", 1000, 3, 64, 64),
        new("regnet_y_32gf", 1000, 3, 64, 64),
        new("regnet_y_128gf", 1000, 3, 64, 64),
    ];
}

public sealed class RegNetParityTests(ParityReferences<RegNetCases> references, ITestOutputHelper output)
    : ParityTests<RegNetCases>(references, output);

public sealed class RegNetTests
{
    // Stage widths, depths and group widths torchvision's BlockParams.from_init_params derives.
    [Theory]
    [InlineData(22, 24, 24.48, 2.54, 16, new long[] { 32, 64, 160, 400 }, new[] { 1, 2, 7, 12 }, new long[] { 16, 16, 16, 16 })]
    [InlineData(18, 80, 34.01, 2.25, 24, new long[] { 72, 168, 408, 912 }, new[] { 2, 4, 10, 2 }, new long[] { 24, 24, 24, 24 })]
    [InlineData(23, 80, 49.56, 2.88, 120, new long[] { 80, 240, 720, 1920 }, new[] { 2, 5, 15, 1 }, new long[] { 80, 120, 120, 120 })]
    [InlineData(14, 56, 38.84, 2.4, 16, new long[] { 64, 144, 320, 784 }, new[] { 1, 3, 8, 2 }, new long[] { 16, 16, 16, 16 })]
    [InlineData(27, 456, 160.83, 2.52, 264, new long[] { 528, 1056, 2904, 7392 }, new[] { 2, 7, 17, 1 }, new long[] { 264, 264, 264, 264 })]
    public void Quantized_linear_rule_gives_torchvisions_stages(int depth, long w0, double wa, double wm, long groupWidth,
        long[] widths, int[] depths, long[] groupWidths)
    {
        var stages = RegNet.QuantizedLinearStages(depth, w0, wa, wm, groupWidth);
        Assert.Equal(widths, stages.Select(s => s.Width));
        Assert.Equal(depths, stages.Select(s => s.Depth));
        Assert.Equal(groupWidths, stages.Select(s => s.GroupWidth));
    }

    [Fact]
    public void Invalid_settings_are_named()
    {
        var e = Assert.Throws<ArgumentException>(() => RegNet.QuantizedLinearStages(16, 50, 27.89, 2.09, 8));
        Assert.Contains("w_0 50", e.Message);
    }
}
