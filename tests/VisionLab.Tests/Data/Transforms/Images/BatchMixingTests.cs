using VisionLab.Data.Transforms.Images;
using VisionLab.Tests.Support;
using static TorchSharp.torch;

namespace VisionLab.Tests.Data.Transforms.Images;

public class BatchMixingTests
{
    // Image i is filled with the value i, so every output pixel shows which images it mixes.
    private static Tensor IndexedBatch(int n, int height = 8, int width = 10) =>
        arange(n, dtype: ScalarType.Float32).reshape(n, 1, 1, 1).expand(n, 3, height, width).contiguous();

    [Fact]
    public void MixUp_blends_each_image_with_its_neighbour_by_the_same_weight_as_its_target()
    {
        using var scope = NewDisposeScope();
        var images = IndexedBatch(4);
        var labels = tensor(new long[] { 0, 1, 2, 3 });
        var (mixed, targets) = new MixUp(numClasses: 5, p: 1.0).Apply(images, labels, new Random(3));
        float lambda = targets[1, 1].item<float>();
        Assert.InRange(lambda, 0f, 1f);
        Assert.Equal(1f - lambda, targets[1, 0].item<float>(), 5);
        // Image 1 = λ·1 + (1 − λ)·0; image 0 mixes with image 3 (the batch rolled by one).
        Assert.Equal(lambda, mixed[1, 2, 4, 5].item<float>(), 5);
        Assert.Equal(3f * (1f - lambda), mixed[0, 0, 0, 0].item<float>(), 5);
        Assert.True(targets.sum(1).allclose(ones(4)));
        Assert.Equal(0f, images[1, 0, 0, 0].item<float>() - 1f);
    }

    [Fact]
    public void CutMix_pastes_a_box_from_the_neighbour_and_weights_targets_by_its_area()
    {
        using var scope = NewDisposeScope();
        var images = IndexedBatch(3, 16, 20);
        var labels = tensor(new long[] { 2, 0, 1 });
        var random = new Random(8);
        for (int trial = 0; trial < 20; trial++)
        {
            var (mixed, targets) = new CutMix(numClasses: 3, p: 1.0).Apply(images, labels, random);
            // Image 1 keeps its own pixels (value 1) outside the box and gets image 0's (value 0) inside.
            double pasted = (mixed[1] == 0f).sum().item<long>() / 3.0 / (16 * 20);
            Assert.Equal(1.0 - pasted, targets[1, labels[1].item<long>()].item<float>(), 1e-5);
            Assert.Equal(pasted, targets[1, labels[0].item<long>()].item<float>(), 1e-5);
        }
    }

    [Fact]
    public void CutMix_box_follows_torchvision_arithmetic()
    {
        // λ = 0.75: r = 0.25, half-sides int(0.25·20) = 5 and int(0.25·16) = 4, clipped at the edges.
        Assert.Equal(new PixelRegion(4, 5, 8, 10), CutMix.Box(16, 20, 0.75, 8, 10));
        Assert.Equal(new PixelRegion(0, 0, 6, 7), CutMix.Box(16, 20, 0.75, 2, 2));
    }

    [Fact]
    public void Batch_mixing_with_p_zero_gives_one_hot_targets_and_the_same_images()
    {
        using var scope = NewDisposeScope();
        var images = IndexedBatch(2);
        var (same, targets) = new RandomBatchChoice(new MixUp(3, p: 0), new CutMix(3, p: 0)).Apply(images, tensor(new long[] { 2, 0 }), new Random(1));
        Assert.True(same.SameAs(images));
        Assert.True(targets.SameAs(tensor(new float[,] { { 0, 0, 1 }, { 1, 0, 0 } })));
    }

    [Fact]
    public void Beta_draws_have_the_mean_and_spread_of_Beta_alpha_alpha()
    {
        var random = new Random(5);
        var draws = Enumerable.Range(0, 20000).Select(_ => BatchMixing.SampleBeta(0.2, random)).ToArray();
        Assert.InRange(draws.Average(), 0.48, 0.52);
        // Var of Beta(a, a) = 1 / (4 (2a + 1)) = 0.1786 for a = 0.2.
        double variance = draws.Select(d => (d - 0.5) * (d - 0.5)).Average();
        Assert.InRange(variance, 0.17, 0.187);
    }
}
