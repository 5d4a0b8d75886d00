using VisionLab.Models.Blocks;
using static TorchSharp.torch;

namespace VisionLab.Tests.Models;

public class TruncatedNormalTests
{
    [Fact]
    public void Fills_with_a_normal_distribution_cut_at_the_bounds()
    {
        manual_seed(7);
        using var t = empty(1_000_000);
        TruncatedNormal.Fill_(t, std: 0.02);
        Assert.Equal(0, t.isnan().sum().item<long>());
        Assert.Equal(0.0, t.mean().item<float>(), 3);
        // Cutting at ±100 standard deviations leaves the standard deviation unchanged.
        Assert.Equal(0.02, t.std().item<float>(), 3);
        Assert.True(t.abs().max().item<float>() < 0.2f);
    }

    [Fact]
    public void Tight_bounds_clip_the_tails()
    {
        manual_seed(7);
        using var t = empty(100_000);
        TruncatedNormal.Fill_(t, std: 1, mean: 0.5, a: 0, b: 1);
        Assert.True(t.min().item<float>() >= 0f);
        Assert.True(t.max().item<float>() <= 1f);
        Assert.Equal(0.5, t.mean().item<float>(), 2);
    }
}
