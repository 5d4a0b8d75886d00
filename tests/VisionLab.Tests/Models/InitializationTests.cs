using VisionLab.Models;
using static TorchSharp.torch;

namespace VisionLab.Tests.Models;

/// <summary>
/// The families torchvision starts with He-normal over the fan-out begin training from the same
/// distribution here: the spread each convolution's weights should have, zero convolution biases,
/// unit batch norms. (Torchvision 0.14 measured 0.0590, 0.0416, 0.0395, 0.0395, 0.0395, 0.0586
/// for the weights below.)
/// </summary>
public class InitializationTests
{
    [Theory]
    [InlineData("resnet18", "layer1.0.conv1.weight", null, "layer1.0.bn1.weight")]
    [InlineData("vgg11_bn", "features.4.weight", "features.4.bias", "features.5.weight")]
    [InlineData("mobilenet_v2", "features.18.0.weight", null, "features.18.1.weight")]
    [InlineData("mnasnet0_5", "layers.14.weight", null, "layers.15.weight")]
    [InlineData("efficientnet_b0", "features.8.0.weight", "features.1.0.block.1.fc1.bias", "features.8.1.weight")]
    [InlineData("mobilenet_v3_small", "features.12.0.weight", "features.1.block.1.fc1.bias", "features.12.1.weight")]
    public void Convolutions_start_he_normal_over_the_fan_out(string model, string convWeight, string? convBias, string normWeight)
    {
        manual_seed(3);
        using var net = ModelZoo.Create(model, new ModelOptions(10, 3));
        var parameters = net.named_parameters().ToDictionary(p => p.name, p => p.parameter);

        var weight = parameters[convWeight];
        long fanOut = weight.shape[0] * weight.shape[2] * weight.shape[3];
        double expected = Math.Sqrt(2.0 / fanOut);
        Assert.Equal(0.0, weight.mean().item<float>(), expected * 0.05);
        Assert.InRange(weight.std().item<float>(), expected * 0.97, expected * 1.03);

        if (convBias is not null) Assert.Equal(0f, parameters[convBias].abs().max().item<float>());
        Assert.True(parameters[normWeight].eq(1f).all().item<bool>(), $"{normWeight} does not start at 1");
        Assert.Equal(0f, parameters[normWeight.Replace(".weight", ".bias")].abs().max().item<float>());
    }
}
