using VisionLab.Runtime;
using VisionLab.Tests.Support;
using static TorchSharp.torch;

namespace VisionLab.Tests.Runtime;

/// <summary>
/// Training runs each convolution geometry on oneDNN only once it has been checked against float64
/// (<see cref="OneDnnTrainingRouting"/>): gradients must be libtorch-exact whichever kernels ran, the
/// shapes ResNets use must get the fast path, and nothing may leak out — the switch, or draws from
/// the global random stream.
/// </summary>
public class OneDnnTrainingRoutingTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Theory]
    [InlineData(80, 48, 5, 2)] // an input gradient oneDNN gets wrong on this project's machines
    [InlineData(64, 64, 3, 1)] // ResNet's commonest convolution
    [InlineData(24, 40, 3, 1)] // a forward pass oneDNN gets wrong there
    public void Routed_gradients_equal_float64_ones(int inChannels, int outChannels, int kernel, int stride)
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        manual_seed(inChannels + outChannels);
        using var model = nn.Sequential(
            ("first", nn.Conv2d(inChannels, outChannels, kernel, stride, kernel / 2, bias: true)),
            ("relu", nn.ReLU(inplace: true)), // as VGG has it: in place on the routed output
            ("second", nn.Conv2d(outChannels, 32, 3, 1, 1, bias: false)));
        var x = randn(8, inChannels, 14, 14).requires_grad_();
        int exact;
        using (var routing = OneDnnTrainingRouting.Route(model))
        {
            Assert.True(routing.Active);
            Assert.Equal(2, routing.HookedConvolutions);
            var y = model.call(x);
            routing.Backward((y * y).sum() / 2);
            exact = routing.ExactCalls;
        }
        output.WriteLine($"{inChannels}->{outChannels} k{kernel} s{stride}: {exact} of 2 convolutions on libtorch's kernels");

        var x64 = x.detach().to_type(ScalarType.Float64).requires_grad_();
        var p64 = model.parameters().Select(p => p.detach().to_type(ScalarType.Float64).requires_grad_()).ToList();
        var h = nn.functional.relu(nn.functional.conv2d(x64, p64[0], p64[1], strides: [stride, stride], padding: [kernel / 2, kernel / 2]));
        var y64 = nn.functional.conv2d(h, p64[2], padding: [1, 1]);
        ((y64 * y64).sum() / 2).backward();
        AssertClose(x.grad!, x64.grad!, "input gradient");
        foreach (var (p, reference) in model.parameters().Zip(p64)) AssertClose(p.grad!, reference.grad!, "parameter gradient");
        if (inChannels == 64) Assert.Equal(0, exact);
        AssertExactAfterwards();
    }

    [Fact]
    public void Checking_a_new_geometry_draws_nothing_from_the_global_random_stream()
    {
        using var scope = NewDisposeScope();
        using var conv = nn.Conv2d(7, 9, 3);
        using var input = ones(3, 7, 11, 13);
        int before = OneDnnVerification.CheckedGeometries;
        manual_seed(11);
        using (var routing = OneDnnTrainingRouting.Route(conv)) routing.Backward(conv.call(input).sum());
        var afterCheck = randn(16);
        manual_seed(11);
        var untouched = randn(16);
        Assert.Equal(before + 1, OneDnnVerification.CheckedGeometries);
        Assert.True(afterCheck.eq(untouched).all().item<bool>());
    }

    [Fact]
    public void A_model_with_a_convolution_the_check_cannot_cover_trains_on_libtorchs_kernels()
    {
        using var model = nn.Sequential(("conv", nn.Conv2d(8, 8, 3, padding: 1)), ("up", nn.ConvTranspose2d(8, 4, 2, stride: 2)));
        using var routing = OneDnnTrainingRouting.Route(model);
        Assert.False(routing.Active);
        Assert.Equal(0, routing.HookedConvolutions);
        using var x = randn(2, 8, 6, 6);
        routing.Backward(model.call(x).sum());
        AssertExactAfterwards();
    }

    [Fact]
    public void A_forward_pass_that_throws_leaves_the_switch_off_once_disposed()
    {
        using var conv = nn.Conv2d(80, 48, 5, 2, 2);
        using (OneDnnTrainingRouting.Route(conv))
        {
            using var wrongChannels = randn(2, 7, 14, 14);
            Assert.ThrowsAny<Exception>(() => conv.call(wrongChannels));
        }
        AssertExactAfterwards();
    }

    private static void AssertExactAfterwards()
    {
        Assert.False(ConvolutionBackend.OneDnnEnabled);
        ExactConvolutionCheck.AssertInputGradientExact("input gradient of an unrouted convolution afterwards", 1e-4);
    }

    private static void AssertClose(Tensor actual, Tensor expected, string what)
    {
        double error = (actual.to_type(ScalarType.Float64) - expected).abs().max().item<double>();
        double scale = Math.Max(1e-6, expected.abs().max().item<double>());
        Assert.True(error <= 1e-4 * scale, $"{what}: relative error {error / scale:E2}");
    }
}
