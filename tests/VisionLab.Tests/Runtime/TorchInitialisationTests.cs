using static TorchSharp.torch;

namespace VisionLab.Tests.Runtime;

public class TorchInitialisationTests
{
    [Fact]
    public void Libtorch_loads_and_runs_a_convolution_forward_and_backward()
    {
        // A 3x3 convolution of ones over ones: every interior output is 9, and each weight's
        // gradient counts the output positions it touched (6x6 = 36 with no padding).
        using var input = ones(1, 1, 8, 8);
        using var weight = ones(1, 1, 3, 3).requires_grad_();
        using var output = nn.functional.conv2d(input, weight);
        Assert.Equal(new long[] { 1, 1, 6, 6 }, output.shape);
        Assert.Equal(9f, output[0, 0, 2, 2].item<float>());

        using var total = output.sum();
        total.backward();
        using var grad = weight.grad!;
        Assert.True(grad.eq(36f).all().item<bool>());
    }

    [Fact]
    public void Thread_count_is_a_setting()
    {
        int before = get_num_threads();
        try
        {
            VisionLab.Runtime.TorchRuntime.SetThreads(1);
            Assert.Equal(1, get_num_threads());
        }
        finally
        {
            set_num_threads(before);
        }
        Assert.Throws<VisionLabException>(() => VisionLab.Runtime.TorchRuntime.SetThreads(0));
    }

    [Fact]
    public void Asking_for_cuda_on_a_cpu_build_says_why_it_cannot()
    {
        if (cuda.is_available()) return;
        var e = Assert.Throws<VisionLabException>(() => VisionLab.Runtime.TorchRuntime.ParseDevice("cuda"));
        Assert.Contains("CUDA is not available", e.Message);
    }
}
