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

public class InceptionInitialisationTests
{
    [Theory]
    [InlineData("googlenet", "conv1.conv.weight", 0.01)]
    [InlineData("inception_v3", "Conv2d_1a_3x3.conv.weight", 0.1)]
    public void Weights_start_from_torchvisions_truncated_normal(string model, string parameter, double std)
    {
        manual_seed(1);
        using var net = VisionLab.Models.ModelZoo.Create(model, new VisionLab.Models.ModelOptions(10, 3));
        var weight = net.named_parameters().Single(p => p.name == parameter).parameter;
        Assert.Equal(0, weight.isnan().sum().item<long>());
        Assert.Equal(std, weight.std().item<float>(), std * 0.1);
        Assert.True(weight.unique().Item1.numel() > weight.numel() / 2, "weights are not random");
    }
}
