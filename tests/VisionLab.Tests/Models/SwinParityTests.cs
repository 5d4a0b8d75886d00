using VisionLab.Models;
using VisionLab.Models.Blocks;
using VisionLab.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VisionLab.Tests.Models;

public sealed class SwinCases : IParityCases
{
    public ParityCase[] Everyday =>
    [
        // 96×80: maps of 24×20 → 12×10 → 6×5 → 3×3, so windows are padded in every stage, the shifted
        // windows are masked in the first two, and patch merging pads the odd sides.
        new("swin_t", 1000, 3, 96, 80),
        new("swin_t", 10, 1, 64, 64),
    ];

    public ParityCase[] Large =>
    [
        new("swin_t", 1000, 3, 224, 224, Batch: 1),
        new("swin_s", 1000, 3, 224, 224, Batch: 1),
        new("swin_b", 7, 3, 96, 96),
    ];
}

public sealed class SwinParityTests(ParityReferences<SwinCases> references, ITestOutputHelper output)
    : ParityTests<SwinCases>(references, output)
{

    [Fact]
    public void State_dict_holds_the_relative_position_index_as_torchvision_does()
    {
        using var model = ModelZoo.Create("swin_t", new ModelOptions());
        var state = model.state_dict();
        using var index = state["features.1.0.attn.relative_position_index"];
        Assert.Equal(ScalarType.Int64, index.dtype);
        Assert.Equal(new long[] { 49 * 49 }, index.shape);
        // Token 0 (top left) to token 48 (bottom right) is offset (−6, −6): row 0; the reverse is the last row.
        Assert.Equal(0, index[48].item<long>());
        Assert.Equal(13 * 13 - 1, index[48 * 49].item<long>());
        Assert.Equal(new long[] { 169, 3 }, state["features.1.0.attn.relative_position_bias_table"].shape);
    }

    [Fact]
    public void Stochastic_depth_rises_linearly_acts_only_in_training_and_lets_gradients_through()
    {
        using var model = ModelZoo.Create("swin_t", new ModelOptions(10, 3));
        var rates = model.modules().OfType<StochasticDepth>().Select(d => d.Probability).ToList();
        Assert.Equal(12, rates.Count);
        Assert.All(rates.Select((rate, block) => (rate, block)), r => Assert.Equal(0.2 * r.block / 11, r.rate, 12));

        using var x = randn(4, 3, 64, 64);
        model.train();
        using (var logits = model.call(x))
        using (var loss = logits.square().mean())
            loss.backward();
        Assert.All(model.named_parameters(), p => Assert.True(p.parameter.grad is { } g && g.isfinite().all().item<bool>(), $"{p.name} has no finite gradient"));

        using var _ = no_grad();
        using var train1 = model.call(x);
        using var train2 = model.call(x);
        Assert.False(train1.allclose(train2), "stochastic depth should drop branches in training mode");
        model.eval();
        using var eval1 = model.call(x);
        using var eval2 = model.call(x);
        Assert.True(eval1.allclose(eval2, rtol: 0, atol: 0), "evaluation must be deterministic");
    }

    [Theory]
    [InlineData("swin_t", 4.49)]
    [InlineData("swin_s", 8.74)]
    [InlineData("swin_b", 15.43)]
    public void Multiply_adds_agree_with_torchvisions_published_gflops(string name, double gflops)
    {
        // torchvision's figures count the attention products (Q·Kᵀ, weights·V) as well as the linears.
        double ours = ModelZoo.Find(name).ReferenceMacs / 1e9;
        Assert.True(Math.Abs(ours / gflops - 1) < 1e-3, $"{name}: {ours:F3} GMACs where torchvision publishes {gflops}");
    }
}
