using static TorchSharp.torch;

namespace VisionLab.Tests.Runtime;

/// <summary>
/// Guards against the oneDNN AVX-512 fault in libtorch 2.10: float32 convolutions with input
/// channel counts above 16 that are not multiples of 16, at batch sizes above one, came out wrong
/// by up to a quarter of their scale. float64 (which oneDNN does not run) is the reference.
/// </summary>
public class ConvolutionAccuracyTests
{
    [Theory]
    [InlineData(24)]
    [InlineData(40)]
    [InlineData(112)]
    [InlineData(6)]
    [InlineData(64)]
    public void Float32_convolutions_agree_with_float64(int inChannels)
    {
        manual_seed(inChannels);
        using var x = randn(4, inChannels, 14, 14, dtype: ScalarType.Float64);
        using var w = randn(64, inChannels, 3, 3, dtype: ScalarType.Float64) * 0.1;
        using var expected = nn.functional.conv2d(x, w, padding: [1, 1]);
        using var x32 = x.to_type(ScalarType.Float32);
        using var w32 = w.to_type(ScalarType.Float32);
        using var actual = nn.functional.conv2d(x32, w32, padding: [1, 1]).to_type(ScalarType.Float64);
        double error = (actual - expected).abs().max().item<double>();
        double scale = expected.abs().max().item<double>();
        Assert.True(error < 1e-4 * scale, $"{inChannels} input channels: max error {error:E2} at scale {scale:F2}");
    }
}
