using static TorchSharp.torch;

namespace VisionLab.Tests.Support;

/// <summary>
/// Whether oneDNN is off again: the input gradient of an 80 → 48 5×5 stride-2 convolution, which
/// oneDNN computes wrongly on this project's machines, must agree with float64.
/// </summary>
public static class ExactConvolutionCheck
{
    public static void AssertInputGradientExact(string what, double tolerance)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var x = randn(4, 80, 14, 14).requires_grad_();
        var w = (randn(48, 80, 5, 5) * 0.1).requires_grad_();
        var dy = randn(4, 48, 7, 7);
        nn.functional.conv2d(x, w, strides: [2, 2], padding: [2, 2]).backward([dy]);
        var x64 = x.detach().to_type(ScalarType.Float64).requires_grad_();
        nn.functional.conv2d(x64, w.detach().to_type(ScalarType.Float64), strides: [2, 2], padding: [2, 2]).backward([dy.to_type(ScalarType.Float64)]);
        double error = (x.grad!.to_type(ScalarType.Float64) - x64.grad!).abs().max().item<double>();
        double scale = Math.Max(1e-6, x64.grad!.abs().max().item<double>());
        Assert.True(error <= tolerance * scale, $"{what}: relative error {error / scale:E2}");
    }
}
