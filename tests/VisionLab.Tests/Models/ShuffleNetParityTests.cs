using VisionLab.Models;
using VisionLab.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VisionLab.Tests.Models;

public sealed class ShuffleNetCases : IParityCases
{
    // The network downsamples by 32 with padded convolutions and pools, so 32×32 reaches 1×1 maps
    // (any input does). There the reference's batch norms calibrate on one value per image: a batch
    // of 4 keeps their statistics sane (with 2 the logits reach ~130 and the tolerance with them).
    public ParityCase[] Everyday =>
    [
        new("shufflenet_v2_x0_5", 1000, 3, 64, 64),
        new("shufflenet_v2_x1_0", 10, 1, 32, 32, Batch: 4),
    ];

    public ParityCase[] Large =>
    [
        new("shufflenet_v2_x1_0", 1000, 3, 96, 96),
        new("shufflenet_v2_x1_5", 1000, 3, 64, 64),
        new("shufflenet_v2_x2_0", 1000, 3, 64, 64),
    ];
}

public sealed class ShuffleNetParityTests(ParityReferences<ShuffleNetCases> references, ITestOutputHelper output)
    : ParityTests<ShuffleNetCases>(references, output);

public sealed class ShuffleNetTests
{
    [Fact]
    public void Channel_shuffle_interleaves_the_two_halves()
    {
        using var x = arange(6, dtype: float32).view(1, 6, 1, 1);
        using var shuffled = ShuffleNetV2.ChannelShuffle(x, 2);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, shuffled.flatten().data<float>().ToArray());
    }

    [Fact]
    public void A_unit_without_downsampling_must_keep_its_width()
    {
        var e = Assert.Throws<ArgumentException>(() => new ShuffleNetV2.ShuffleUnit(48, 96, 1));
        Assert.Contains("48", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShuffleNetV2.ShuffleUnit(48, 96, 4));
    }
}
