using VisionLab.Models;
using VisionLab.Models.Blocks;
using VisionLab.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VisionLab.Tests.Models;

public sealed class EfficientNetCases : IParityCases
{
    public ParityCase[] Everyday =>
    [
        new("efficientnet_b0", 1000, 3, 64, 64),
        // At 32×32 the last stages see 1×1 maps, whose batch norms the reference calibrates on only
        // batch × 1 values; a batch of 4 keeps its logits in the hundreds rather than the millions.
        new("efficientnet_b0", 10, 1, 32, 32, Batch: 4),
        new("efficientnet_v2_s", 1000, 3, 64, 64),
    ];

    // B4 and B7 at 64×64 end on 2×2 maps whose calibrated norms blow their logits up to thousands
    // in the reference itself (rounding then dominates); 96×96 keeps them of order one.
    public ParityCase[] Large =>
    [
        new("efficientnet_b1", 1000, 3, 64, 64),
        new("efficientnet_b2", 1000, 3, 64, 64),
        new("efficientnet_b3", 1000, 3, 64, 64),
        new("efficientnet_b4", 1000, 3, 96, 96),
        new("efficientnet_b5", 1000, 3, 64, 64),
        new("efficientnet_b6", 1000, 3, 64, 64),
        new("efficientnet_b7", 1000, 3, 96, 96),
        new("efficientnet_v2_m", 1000, 3, 64, 64),
        new("efficientnet_v2_l", 1000, 3, 64, 64),
    ];
}

public sealed class EfficientNetParityTests(ParityReferences<EfficientNetCases> references, ITestOutputHelper output)
    : ParityTests<EfficientNetCases>(references, output)
{
    [Fact]
    public void Stochastic_depth_varies_with_the_seed_in_training_and_not_in_evaluation()
    {
        using var model = ModelZoo.Create("efficientnet_b0", new ModelOptions(NumClasses: 10));
        using var _ = no_grad();
        using var input = randn(4, 3, 32, 32);

        // The backbone alone, so the classifier's dropout cannot be what differs.
        Tensor Features(int seed)
        {
            manual_seed(seed);
            return model.ForwardFeatures(input);
        }

        model.train();
        using (var first = Features(1))
        using (var again = Features(1))
        using (var other = Features(2))
        {
            Assert.True(first.equal(again).all().item<bool>(), "the same seed dropped different blocks");
            Assert.False(first.equal(other).all().item<bool>(), "different seeds dropped the same blocks");
        }

        model.eval();
        using var a = Features(1);
        using var b = Features(2);
        Assert.True(a.equal(b).all().item<bool>(), "evaluation is not deterministic");
    }

    [Theory]
    [InlineData("efficientnet_b0", 16)]
    [InlineData("efficientnet_v2_s", 40)]
    public void Drop_probability_grows_linearly_with_block_index(string name, int blocks)
    {
        using var model = ModelZoo.Create(name, new ModelOptions());
        var probabilities = model.modules().OfType<StochasticDepth>().Select(s => s.Probability).ToArray();
        Assert.Equal(blocks, probabilities.Length);
        for (int i = 0; i < blocks; i++)
            Assert.Equal(0.2 * i / blocks, probabilities[i], 12);
    }

    [Fact]
    public void A_stride_other_than_one_or_two_is_named()
    {
        var stage = new VisionLab.Models.EfficientNet.StageConfig(false, 6, 3, 3, 16, 24, 2);
        var error = Assert.Throws<ArgumentException>(() => new VisionLab.Models.EfficientNet([stage], 0.2, null,
            VisionLab.Models.EfficientNet.NormSettings.PyTorch, new ModelOptions()));
        Assert.Contains("stride value 3", error.Message);
    }
}
