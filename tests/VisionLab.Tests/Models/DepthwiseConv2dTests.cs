using VisionLab.Models;
using VisionLab.Models.Blocks;
using VisionLab.Runtime;
using VisionLab.Tests.Support;
using static TorchSharp.torch;

namespace VisionLab.Tests.Models;

/// <summary>
/// <see cref="DepthwiseConv2d"/> runs on oneDNN in training, where every other convolution must
/// not: its output and all three gradients must agree with float64 (which oneDNN never computes)
/// for the shapes the zoo uses, and the switch must be off again afterwards.
/// </summary>
public class DepthwiseConv2dTests
{
    public static TheoryData<int, int, int, int, int, bool> Shapes => new()
    {
        // channels, multiplier, kernel, stride, size, bias
        { 32, 1, 3, 1, 28, false },   // MobileNet V2's first block
        { 144, 1, 3, 2, 14, false },  // MobileNet V2, stride 2
        { 24, 1, 3, 1, 7, false },    // the forward fault's channel count for dense convolutions
        { 240, 1, 5, 2, 9, false },   // EfficientNet 5×5, odd size
        { 672, 1, 5, 1, 4, false },
        { 96, 1, 7, 1, 7, true },     // ConvNeXt 7×7 with bias
        { 58, 1, 3, 2, 15, false },   // ShuffleNet V2 x1.0's branch width
        { 3, 1, 3, 1, 5, true },
        { 8, 2, 3, 1, 6, true },      // depth multiplier 2
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Output_and_gradients_agree_with_float64(int channels, int multiplier, int kernel, int stride, int size, bool bias)
    {
        TorchRuntime.EnsureInitialized();
        Assert.False(ConvolutionBackend.OneDnnEnabled);
        using var scope = NewDisposeScope();
        manual_seed(channels * 31 + kernel);
        using var layer = new DepthwiseConv2d(channels, channels * multiplier, kernel, stride, kernel / 2, bias);
        var x = randn(4, channels, size, size).requires_grad_();
        var y = layer.call(x);
        var dy = randn_like(y);
        y.backward([dy]);

        var x64 = x.detach().to_type(ScalarType.Float64).requires_grad_();
        var w64 = layer.weight.detach().to_type(ScalarType.Float64).requires_grad_();
        var b64 = layer.bias?.detach().to_type(ScalarType.Float64).requires_grad_();
        var y64 = nn.functional.conv2d(x64, w64, b64, strides: [stride, stride], padding: [kernel / 2, kernel / 2], groups: channels);
        y64.backward([dy.to_type(ScalarType.Float64)]);

        Assert.Equal(y64.shape, y.shape);
        AssertClose(y, y64, "output");
        AssertClose(x.grad!, x64.grad!, "input gradient");
        AssertClose(layer.weight.grad!, w64.grad!, "weight gradient");
        if (bias) AssertClose(layer.bias!.grad!, b64!.grad!, "bias gradient");
        AssertExactConvolutionsStillExact();
    }

    [Fact]
    public void Frozen_weights_get_no_gradient_and_input_still_does()
    {
        using var scope = NewDisposeScope();
        using var layer = new DepthwiseConv2d(16, 16, 3, padding: 1, bias: false);
        layer.weight.requires_grad_(false);
        var x = randn(2, 16, 8, 8).requires_grad_();
        layer.call(x).sum().backward();
        Assert.Null(layer.weight.grad);
        Assert.NotNull(x.grad);
        var expected = nn.functional.conv_transpose2d(ones(2, 16, 8, 8), layer.weight, padding: [1, 1], groups: 16);
        Assert.True(x.grad!.allclose(expected, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Has_a_Conv2d_s_parameters_so_torchvision_state_dicts_load()
    {
        using var layer = new DepthwiseConv2d(12, 24, 5, 2, 2, bias: true);
        var shapes = layer.state_dict().ToDictionary(p => p.Key, p => p.Value.shape);
        Assert.Equal(new[] { "bias", "weight" }, shapes.Keys.Order());
        Assert.Equal(new long[] { 24, 1, 5, 5 }, shapes["weight"]);
        Assert.Throws<ArgumentException>(() => new DepthwiseConv2d(12, 18, 3));
    }

    [Fact]
    public void The_lightweight_families_build_their_depthwise_convolutions_with_it()
    {
        foreach (var (name, count) in new[] { ("mobilenet_v2", 17), ("shufflenet_v2_x0_5", 19), ("mnasnet0_5", 17), ("efficientnet_b0", 16), ("convnext_tiny", 18) })
        {
            using var model = ModelZoo.Create(name, new ModelOptions(10));
            Assert.Equal(count, model.modules().OfType<DepthwiseConv2d>().Count());
            Assert.DoesNotContain(model.modules().OfType<TorchSharp.Modules.Conv2d>(), c => c.groups > 1 && c.groups == c.in_channels);
        }
    }

    /// <summary>A dense convolution of a shape whose oneDNN input gradient is wrong, run after the
    /// depthwise layer: right only if the switch went back off.</summary>
    private static void AssertExactConvolutionsStillExact() =>
        ExactConvolutionCheck.AssertInputGradientExact("input gradient of a dense convolution afterwards", 1e-5);

    private static void AssertClose(Tensor actual, Tensor expected, string what)
    {
        double error = (actual.to_type(ScalarType.Float64) - expected).abs().max().item<double>();
        double scale = Math.Max(1e-6, expected.abs().max().item<double>());
        Assert.True(error <= 1e-5 * scale, $"{what}: relative error {error / scale:E2}");
    }
}
