using VisionLab.Models;
using VisionLab.Models.Weights;
using VisionLab.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VisionLab.Tests.Models;

public sealed class ConvNeXtCases : IParityCases
{
    public ParityCase[] Everyday =>
    [
        new("convnext_tiny", 1000, 3, 64, 64),
        new("convnext_tiny", 10, 1, 32, 32),
    ];

    public ParityCase[] Large =>
    [
        new("convnext_small", 1000, 3, 64, 64),
        new("convnext_base", 1000, 3, 64, 64),
        new("convnext_large", 1000, 3, 64, 64),
    ];
}

public sealed class ConvNeXtParityTests(ParityReferences<ConvNeXtCases> references, ITestOutputHelper output)
    : ParityTests<ConvNeXtCases>(references, output)
{
    private static readonly ParityCase Tiny = new ConvNeXtCases().Everyday[0];
    private readonly TorchvisionReference data = references.Data;

    [Fact]
    public void State_dict_keys_and_shapes_equal_torchvisions()
    {
        var reference = WeightsFile.Read(data.WeightsFile(Tiny));
        try
        {
            using var model = ModelZoo.Create(Tiny.Model, new ModelOptions(Tiny.NumClasses, Tiny.InChannels));
            var ours = model.state_dict();
            Assert.Equal(reference.Keys.Order(StringComparer.Ordinal), ours.Keys.Order(StringComparer.Ordinal));
            Assert.All(reference, kv => Assert.Equal(kv.Value.shape, ours[kv.Key].shape));
            Assert.Contains("features.1.0.layer_scale", ours.Keys);
            Assert.Contains("features.2.0.weight", ours.Keys);
            Assert.Contains("classifier.2.weight", ours.Keys);
        }
        finally
        {
            foreach (var t in reference.Values) t.Dispose();
        }
    }

    [Fact]
    public void Reference_weights_randomise_every_layer_norm_and_layer_scale()
    {
        // At torchvision's initial values (ones, zeros, 1e-6) a wrong norm or residual branch would
        // go unnoticed by the parity tests.
        var reference = WeightsFile.Read(data.WeightsFile(Tiny));
        try
        {
            using var model = ModelZoo.Create(Tiny.Model, new ModelOptions(Tiny.NumClasses, Tiny.InChannels));
            var normWeights = model.named_modules()
                .Where(m => m.module is TorchSharp.Modules.LayerNorm or VisionLab.Models.Blocks.LayerNorm2d)
                .Select(m => m.name + ".weight").ToList();
            var scales = reference.Keys.Where(k => k.EndsWith("layer_scale", StringComparison.Ordinal)).ToList();
            Assert.Equal(18 + 3 + 2, normWeights.Count);
            Assert.Equal(18, scales.Count);
            Assert.All(normWeights, key => Assert.True(reference[key].sub(1).abs().max().item<float>() > 0.1f, key));
            Assert.All(scales, key => Assert.True(reference[key].min().item<float>() > 0.4f, key));
        }
        finally
        {
            foreach (var t in reference.Values) t.Dispose();
        }
    }

    [Fact]
    public void Multiply_adds_equal_torchvisions_operation_counts()
    {
        // torchvision's weights metadata gives 4.456, 8.684, 15.355 and 34.361 GFLOPS (its docs
        // round them to two decimals: 4.46, 8.68, 15.36, 34.36).
        Assert.Equal(4.456, ModelZoo.Find("convnext_tiny").ReferenceMacs / 1e9, 3);
        Assert.Equal(8.684, ModelZoo.Find("convnext_small").ReferenceMacs / 1e9, 3);
        Assert.Equal(15.355, ModelZoo.Find("convnext_base").ReferenceMacs / 1e9, 3);
        Assert.Equal(34.361, ModelZoo.Find("convnext_large").ReferenceMacs / 1e9, 3);
    }

    [Fact]
    public void Stochastic_depth_grows_linearly_with_depth_as_in_torchvision()
    {
        using var model = ModelZoo.Create("convnext_tiny", new ModelOptions());
        var probabilities = model.modules().OfType<ConvNeXt.CNBlock>().Select(b => b.StochasticDepthProbability).ToList();
        Assert.Equal(18, probabilities.Count);
        for (int i = 0; i < probabilities.Count; i++)
            Assert.Equal(0.1 * i / 17.0, probabilities[i], 12);
    }

    [Fact]
    public void Stochastic_depth_drops_residual_branches_in_training_only()
    {
        using var block = new ConvNeXt.CNBlock(8, layerScale: 1, stochasticDepthProbability: 0.5);
        manual_seed(3);
        using var x = randn(64, 8, 5, 5);
        using var _ = no_grad();

        block.train();
        using var trained = block.call(x);
        var untouched = Enumerable.Range(0, 64).Count(i => trained[i].SameAs(x[i]));
        Assert.InRange(untouched, 10, 54);

        block.eval();
        using var first = block.call(x);
        using var second = block.call(x);
        Assert.True(first.SameAs(second));
        Assert.All(Enumerable.Range(0, 64), i => Assert.False(first[i].SameAs(x[i])));
    }

    [Fact]
    public void Whole_network_is_random_in_training_and_deterministic_in_evaluation()
    {
        using var model = ModelZoo.Create("convnext_tiny", new ModelOptions(10, 3));
        using (no_grad())
        {
            foreach (var (name, p) in model.named_parameters())
                if (name.EndsWith("layer_scale", StringComparison.Ordinal)) p.fill_(1);
        }
        manual_seed(5);
        using var x = randn(4, 3, 32, 32);
        using var _ = no_grad();
        model.train();
        using var a = model.call(x);
        using var b = model.call(x);
        Assert.False(a.SameAs(b));
        model.eval();
        using var c = model.call(x);
        using var d = model.call(x);
        Assert.True(c.SameAs(d));
    }
}
