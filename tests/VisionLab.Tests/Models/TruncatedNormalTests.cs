using VisionLab.Models.Blocks;
using static TorchSharp.torch;

namespace VisionLab.Tests.Models;

public class TruncatedNormalTests
{
    [Fact]
    public void Samples_a_normal_within_the_absolute_bounds()
    {
        using var wide = TruncatedNormal.Fill(empty(1_000_000), std: 0.02);
        Assert.Equal(0, wide.isnan().sum().item<long>());
        Assert.Equal(0.0, wide.mean().item<float>(), 3);
        Assert.Equal(0.02, wide.std().item<float>(), 3);

        // Cut at ±2σ the standard deviation shrinks to 0.8796σ.
        using var narrow = TruncatedNormal.Fill(empty(1_000_000), mean: 1, std: 0.02, a: 0.96, b: 1.04);
        Assert.InRange(narrow.min().item<float>(), 0.96f, 1.0f);
        Assert.InRange(narrow.max().item<float>(), 1.0f, 1.04f);
        Assert.Equal(0.8796 * 0.02, narrow.std().item<float>(), 4);
    }
}
