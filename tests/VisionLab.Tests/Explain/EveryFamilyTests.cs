using VisionLab.Explain;
using VisionLab.Models;
using VisionLab.Runtime;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VisionLab.Tests.Explain;

/// <summary>
/// Grad-CAM works on every architecture of the zoo through the family's default layer: the smallest
/// model of each family (and of each model class, where a family has two, as MobileNet V2 and V3),
/// with seeded random weights, on a small random image, explaining the predicted class, gives a map
/// that is finite and not constant — so the layer is reached, the gradients flow back to it, and
/// the weighted sum is not wiped out by the ReLU.
/// </summary>
public sealed class EveryFamilyTests(ITestOutputHelper output)
{
    public static TheoryData<string> SmallestOfEachFamily() => new(
        ModelZoo.All.GroupBy(m => (m.Family, m.Build.Method.DeclaringType))
            .Select(g => g.MinBy(m => m.ReferenceParameters)!.Name)
            .Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(SmallestOfEachFamily))]
    public void Gradcam_gives_a_finite_varying_map_through_the_default_layer(string name)
    {
        var info = ModelZoo.Find(name);
        var (height, width) = InputSize(info);
        // Random weights can leave a class's weighted sum negative everywhere, so the ReLU makes the
        // map all zeros (AlexNet's predicted class with seed 11, say). Seed 0 gives every family a map
        // with structure; a degenerate one under it would mean a real fault.
        TorchRuntime.Seed(0);
        using var model = Build(info, height);
        model.eval();
        using var image = randn(1, info.DefaultInput.Channels, height, width);
        int predicted;
        using (no_grad())
        using (var logits = model.call(image))
            predicted = (int)logits.argmax(1).item<long>();

        var layer = TargetLayer.Of(model);
        var map = new GradCam().Explain(new ExplainContext(model, layer), image, predicted);

        output.WriteLine($"{name}: {height}x{width} input, layer {layer.DisplayName}, map {map.Height}x{map.Width}, " +
                         $"range [{map.Values.Min():G3}, {map.Values.Max():G3}]");
        Assert.Equal(model.DefaultExplainLayer, layer.Name);
        Assert.All(map.Values, v => Assert.True(float.IsFinite(v), $"{name}: the map has a non-finite value"));
        Assert.True(map.Values.Max() > map.Values.Min(), $"{name}: the {map.Height}x{map.Width} map is constant ({map.Values[0]})");
    }

    /// <summary>
    /// An input each family takes whose last maps are at least 2×2 (a 1×1 map is constant by nature):
    /// 96×96 for the networks that downsample by 32 (3×3 maps); LeNet-5's fixed 28×28; 139×139 for
    /// Inception v3, whose stem alone needs 75; a non-square 96×80 for Swin, as its parity test
    /// uses, which pads its windows; 64×64 for the vision transformer built for that size (4×4 patches).
    /// </summary>
    private static (int Height, int Width) InputSize(ModelInfo info) => info.Family switch
    {
        "LeNet" => (28, 28),
        "Inception v3" => (139, 139),
        "Swin" => (96, 80),
        "ViT" => (64, 64),
        _ => (96, 96),
    };

    private static ImageClassifier Build(ModelInfo info, int size)
    {
        var options = new ModelOptions(10, info.DefaultInput.Channels);
        if (info.Family != "ViT") return ModelZoo.Create(info.Name, options);
        // A vision transformer's position embeddings fix its image size; the parity tests build one
        // for 64×64 the same way. Its head starts at zero (as the paper's fine-tuning heads do), which
        // would make every gradient, and so every map, zero: give it random weights first.
        var vit = new VisionTransformer(info.Name == "vit_b_16" ? VisionTransformer.B16 : VisionTransformer.B32, options, imageSize: size);
        using (no_grad())
        {
            foreach (var (parameterName, parameter) in vit.named_parameters())
                if (parameterName.StartsWith("heads.", StringComparison.Ordinal)) parameter.normal_(0, 0.02);
        }
        return vit;
    }
}
