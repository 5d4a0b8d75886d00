using VisionLab.Models;
using VisionLab.Tests.Support;
using static TorchSharp.torch;

namespace VisionLab.Tests.Models;

public class FeatureExtractorTests
{
    [Fact]
    public void The_last_stage_of_a_resnet_is_what_forward_features_returns()
    {
        using var model = ModelZoo.Create("resnet18", new ModelOptions(10, 3));
        model.eval();
        using var x = randn(2, 3, 64, 64);
        var (output, features) = FeatureExtractor.Run(model, x, "layer4", "layer2.1.conv2");
        using (output)
        {
            using var expected = model.ForwardFeatures(x);
            Assert.True(features["layer4"].SameAs(expected));
            Assert.Equal(new long[] { 2, 128, 8, 8 }, features["layer2.1.conv2"].shape);
            Assert.Equal(new long[] { 2, 10 }, output.shape);
        }
        foreach (var f in features.Values) f.Dispose();
    }

    [Fact]
    public void An_unknown_layer_name_lists_valid_ones()
    {
        using var model = ModelZoo.Create("resnet18", new ModelOptions(10, 3));
        var e = Assert.Throws<VisionLabException>(() => FeatureExtractor.Layer(model, "layer5"));
        Assert.Contains("has no layer 'layer5'", e.Message);
        Assert.Contains("layer4", e.Message);
    }
}
