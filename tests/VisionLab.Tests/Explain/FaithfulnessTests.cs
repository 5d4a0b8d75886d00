using VisionLab.Explain;
using VisionLab.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VisionLab.Tests.Explain;

/// <summary>
/// The faithfulness metrics on a model whose decision is known by construction: only the pixels of
/// one square count. A map that marks the square must score better than a random map and a map
/// that marks everything else, on every metric; ROAD's imputation must be the paper's weighted
/// neighbour average.
/// </summary>
public class FaithfulnessTests(ITestOutputHelper output)
{
    private const int Size = 16, Top = 4, Left = 6, Side = 6;

    /// <summary>Class 0's logit is the mean over the square of the channels' sum; class 1's is a constant 1.</summary>
    private sealed class DecisiveSquareModel : ImageClassifier
    {
        public DecisiveSquareModel() : base(nameof(DecisiveSquareModel)) => RegisterComponents();

        public override int NumClasses => 2;

        public override Tensor ForwardFeatures(Tensor images) => images.alias();

        public override Tensor ForwardHead(Tensor features)
        {
            using var scope = NewDisposeScope();
            var evidence = features.narrow(2, Top, Side).narrow(3, Left, Side).sum(1).mean([1, 2]);
            return stack([evidence, ones_like(evidence)], 1).MoveToOuterDisposeScope();
        }

        protected override void ReplaceClassifier(int numClasses) => throw new NotSupportedException();
    }

    /// <summary>Noise everywhere (σ 0.3), +1 in every channel inside the square: class 0 at p ≈ 0.88.</summary>
    private static Tensor Image()
    {
        var generator = new Generator(5);
        var image = randn([1, 3, Size, Size], generator: generator) * 0.3f;
        image[.., .., Top..(Top + Side), Left..(Left + Side)] += 1f;
        return image;
    }

    private static float[] SquareValues(bool inside) => Enumerable.Range(0, Size * Size)
        .Select(i => (i / Size is >= Top and < Top + Side && i % Size is >= Left and < Left + Side) == inside ? 1f : 0f).ToArray();

    // Maps at the image's resolution, so their order is exact; one test gives a coarse map, as a CAM layer would.
    private static SaliencyMap Decisive => new(SquareValues(inside: true), Size, Size);
    private static SaliencyMap Inverted => new(SquareValues(inside: false), Size, Size);

    private static SaliencyMap RandomMap(int seed)
    {
        var random = new Random(seed);
        return new SaliencyMap(Enumerable.Range(0, Size * Size).Select(_ => random.NextSingle()).ToArray(), Size, Size);
    }

    [Fact]
    public void Deletion_falls_fastest_and_insertion_rises_fastest_for_the_map_of_the_decisive_square()
    {
        using var model = new DecisiveSquareModel();
        using var image = Image();
        var options = new FaithfulnessOptions { Steps = 16 };
        double Deletion(SaliencyMap map) => Faithfulness.DeletionCurve(model, image, 0, map, options).Area;
        double Insertion(SaliencyMap map) => Faithfulness.InsertionCurve(model, image, 0, map, options).Area;

        double randomDeletion = Enumerable.Range(1, 5).Average(seed => Deletion(RandomMap(seed)));
        double randomInsertion = Enumerable.Range(1, 5).Average(seed => Insertion(RandomMap(seed)));
        output.WriteLine($"deletion AUC: decisive {Deletion(Decisive):F3}, random {randomDeletion:F3}, inverted {Deletion(Inverted):F3}");
        output.WriteLine($"insertion AUC: decisive {Insertion(Decisive):F3}, random {randomInsertion:F3}, inverted {Insertion(Inverted):F3}");
        Assert.True(Deletion(Decisive) + 0.1 < randomDeletion, $"deletion AUC: decisive {Deletion(Decisive):F3}, random {randomDeletion:F3}");
        Assert.True(randomDeletion + 0.1 < Deletion(Inverted), $"deletion AUC: random {randomDeletion:F3}, inverted {Deletion(Inverted):F3}");
        Assert.True(Insertion(Decisive) > randomInsertion + 0.05, $"insertion AUC: decisive {Insertion(Decisive):F3}, random {randomInsertion:F3}");
        Assert.True(randomInsertion > Insertion(Inverted) + 0.1, $"insertion AUC: random {randomInsertion:F3}, inverted {Insertion(Inverted):F3}");

        var blurred = Faithfulness.DeletionCurve(model, image, 0, Decisive, options with { DeletionBaseline = DeletionBaseline.Blur });
        Assert.True(blurred.Area < Deletion(Inverted), $"deletion to a blurred copy: decisive {blurred.Area:F3}, inverted {Deletion(Inverted):F3}");
    }

    [Fact]
    public void Deletion_curve_has_the_steps_and_the_probabilities_of_the_unchanged_and_the_emptied_image()
    {
        using var model = new DecisiveSquareModel();
        using var image = Image();
        var curve = Faithfulness.DeletionCurve(model, image, 0, Decisive, new FaithfulnessOptions { Steps = 8 });

        Assert.Equal(Enumerable.Range(0, 9).Select(k => k / 8.0), curve.Fractions);
        double evidence = image[0, .., Top..(Top + Side), Left..(Left + Side)].sum([0]).mean().item<float>();
        Assert.Equal(1 / (1 + Math.Exp(1 - evidence)), curve.Probabilities[0], 1e-6);
        // Every pixel at the mean (0): evidence 0 against 1.
        Assert.Equal(1 / (1 + Math.E), curve.Probabilities[^1], 1e-6);
        // The square is 36 of 256 pixels: gone after the second step (64 pixels), so the curve is flat from there.
        Assert.All(curve.Probabilities.Skip(2), p => Assert.Equal(1 / (1 + Math.E), p, 1e-6));
    }

    [Fact]
    public void A_map_at_a_coarser_resolution_is_upsampled_to_the_image()
    {
        using var model = new DecisiveSquareModel();
        using var image = Image();
        // 4×4 cells of 4 pixels, the square's cells (rows 1–2, columns 1–3) high: upsampled, its
        // peak region covers the square, and deletion takes it out first.
        var coarse = new SaliencyMap(Enumerable.Range(0, 16).Select(i => i / 4 is 1 or 2 && i % 4 is >= 1 and <= 3 ? 1f : 0f).ToArray(), 4, 4);
        var options = new FaithfulnessOptions { Steps = 16 };
        double coarseArea = Faithfulness.DeletionCurve(model, image, 0, coarse, options).Area;
        double invertedArea = Faithfulness.DeletionCurve(model, image, 0, Inverted, options).Area;
        Assert.True(coarseArea + 0.2 < invertedArea, $"deletion AUC: coarse decisive map {coarseArea:F3}, inverted {invertedArea:F3}");
    }

    [Fact]
    public void Road_removing_the_decisive_square_first_flips_the_class_and_removing_it_last_keeps_it()
    {
        using var model = new DecisiveSquareModel();
        using var image = Image();
        var options = new FaithfulnessOptions { RoadPercentages = [20, 30, 50, 70, 80, 90] };
        var morf = Faithfulness.Road(model, image, 0, Decisive, mostRelevantFirst: true, options);
        var lerf = Faithfulness.Road(model, image, 0, Decisive, mostRelevantFirst: false, options);
        output.WriteLine($"MoRF probabilities {string.Join(", ", morf.Probabilities.Select(p => p.ToString("F3")))}");
        output.WriteLine($"LeRF probabilities {string.Join(", ", lerf.Probabilities.Select(p => p.ToString("F3")))}");

        // The square is 14 % of the image: from 20 % on MoRF has removed it, and the imputation fills it
        // from the noise around it. LeRF reaches it only beyond 86 %, and then fills the few pixels it
        // takes from the rest of the square, as ROAD intends: the evidence survives.
        Assert.Equal([false, false, false, false, false, false], morf.Correct);
        Assert.Equal([true, true, true, true, true, true], lerf.Correct);
        Assert.True(morf.MeanProbability + 0.3 < lerf.MeanProbability, $"ROAD mean probability: MoRF {morf.MeanProbability:F3}, LeRF {lerf.MeanProbability:F3}");
    }

    [Fact]
    public void Average_drop_is_zero_for_a_map_of_ones_and_large_for_a_map_that_hides_the_evidence()
    {
        using var model = new DecisiveSquareModel();
        using var image = Image();
        var ones = new SaliencyMap(Enumerable.Repeat(1f, 4).ToArray(), 2, 2);
        var scores = Faithfulness.Measure(model, image, 0, ones, "ones", new FaithfulnessOptions { Steps = 4, RoadPercentages = [50] });
        Assert.Equal(scores.Probability, scores.MaskedProbability, 1e-9);
        Assert.Equal(0, scores.Drop);
        Assert.False(scores.Increase);

        var hiding = Faithfulness.Measure(model, image, 0, Inverted, "inverted", new FaithfulnessOptions { Steps = 4, RoadPercentages = [50] });
        Assert.True(hiding.Drop > 0.5, $"drop {hiding.Drop:F3}");
        // Keeping only the square keeps all of the evidence; the noise elsewhere does not count.
        var keeping = Faithfulness.Measure(model, image, 0, Decisive, "decisive", new FaithfulnessOptions { Steps = 4, RoadPercentages = [50] });
        Assert.Equal(0, keeping.Drop, 1e-9);

        var summary = FaithfulnessSummary.Of([hiding, hiding with { MaskedProbability = hiding.Probability * 2 }]);
        Assert.Equal(hiding.Drop / 2, summary.AverageDrop, 1e-9);
        Assert.Equal(0.5, summary.IncreaseInConfidence);
        Assert.Throws<VisionLabException>(() => FaithfulnessSummary.Of([hiding, keeping]));
    }

    [Fact]
    public void Curve_area_is_the_trapezoid_rule_over_the_fractions()
    {
        var curve = new PerturbationCurve([0, 0.25, 1], [1, 0.5, 0.5]);
        Assert.Equal(0.25 * 0.75 + 0.75 * 0.5, curve.Area, 12);
    }

    [Fact]
    public void Road_imputation_keeps_a_constant_image_constant_up_to_the_border()
    {
        using var image = full(new long[] { 2, 3, 10, 12 }, 0.7, ScalarType.Float32);
        var random = new Random(1);
        using var removed = tensor(Enumerable.Range(0, 2 * 10 * 12).Select(_ => random.NextDouble() < 0.6).ToArray(), [2, 10, 12]);
        using var imputed = new NoisyLinearImputation(noise: 0).Impute(image, removed);
        Assert.True((imputed - 0.7f).abs().max().item<float>() < 1e-6f);
    }

    [Fact]
    public void Road_imputation_reproduces_a_linear_ramp_inside_the_image()
    {
        // The paper's weights are symmetric, so a linear function is its own neighbours' average:
        // holes away from the border are filled with the ramp exactly (at the border the weights are
        // renormalised over the neighbours that exist, which a ramp does not satisfy).
        using var ramp = (0.3 + 0.05 * arange(14, dtype: ScalarType.Float64).reshape(1, 14) - 0.02 * arange(12, dtype: ScalarType.Float64).reshape(12, 1))
            .expand(3, 12, 14).unsqueeze(0) * tensor(new[] { 1.0, -2.0, 0.5 }).reshape(1, 3, 1, 1);
        using var removed = zeros(1, 12, 14, dtype: ScalarType.Bool);
        removed[0, 2..9, 3..10] = tensor(true); // a 7×7 hole
        removed[0, 10, 12] = tensor(true);
        removed[0, 4, 12] = tensor(true);
        using var imputed = new NoisyLinearImputation(noise: 0).Impute(ramp, removed);
        double error = (imputed - ramp).abs().max().item<double>();
        Assert.True(error < 1e-12, $"largest difference from the ramp {error:E2}");
    }

    [Fact]
    public void Road_imputation_of_a_lone_pixel_is_its_neighbours_weighted_average()
    {
        var generator = new Generator(2);
        using var image = rand([1, 1, 6, 6], ScalarType.Float64, generator: generator);
        using var removed = zeros(1, 6, 6, dtype: ScalarType.Bool);
        removed[0, 2, 3] = tensor(true);
        removed[0, 0, 0] = tensor(true);
        using var imputed = new NoisyLinearImputation(noise: 0).Impute(image, removed);
        double V(int y, int x) => image[0, 0, y, x].item<double>();

        double interior = (V(1, 3) + V(3, 3) + V(2, 2) + V(2, 4)) / 6 + (V(1, 2) + V(1, 4) + V(3, 2) + V(3, 4)) / 12;
        Assert.Equal(interior, imputed[0, 0, 2, 3].item<double>(), 12);
        // A corner has three neighbours, weights 1/6, 1/6 and 1/12, renormalised to sum to one.
        double corner = (V(0, 1) / 6 + V(1, 0) / 6 + V(1, 1) / 12) / (5 / 12.0);
        Assert.Equal(corner, imputed[0, 0, 0, 0].item<double>(), 12);
        Assert.Equal(V(5, 5), imputed[0, 0, 5, 5].item<double>());
    }

    [Theory]
    [InlineData(9, 13)] // wider than high: numbered column by column
    [InlineData(12, 12)]
    [InlineData(15, 7)]
    public void Road_imputation_makes_every_removed_pixel_its_neighbours_weighted_average(int height, int width)
    {
        // The system's defining property, checked pixel by pixel with the imputed values of removed
        // neighbours: x_i = Σ_j w_ij x_j / Σ_j w_ij over the neighbours inside the image.
        var generator = new Generator(3);
        using var image = rand([2, 3, height, width], ScalarType.Float64, generator: generator);
        var random = new Random(height * width);
        var mask = Enumerable.Range(0, 2 * height * width).Select(_ => random.NextDouble() < 0.7).ToArray();
        using var removed = tensor(mask, [2, height, width]);
        using var imputed = new NoisyLinearImputation(noise: 0).Impute(image, removed);
        var x = imputed.data<double>().ToArray();
        var v = image.data<double>().ToArray();
        int plane = height * width;
        double worst = 0;
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < plane; p++)
                {
                    int at = (n * 3 + c) * plane + p;
                    if (!mask[n * plane + p])
                    {
                        Assert.Equal(v[at], x[at]);
                        continue;
                    }
                    double sum = 0, weights = 0;
                    for (int dy = -1; dy <= 1; dy++)
                        for (int dx = -1; dx <= 1; dx++)
                        {
                            int y = p / width + dy, xx = p % width + dx;
                            if ((dy, dx) == (0, 0) || y < 0 || y >= height || xx < 0 || xx >= width) continue;
                            double w = dy == 0 || dx == 0 ? 1 / 6.0 : 1 / 12.0;
                            sum += w * x[(n * 3 + c) * plane + y * width + xx];
                            weights += w;
                        }
                    worst = Math.Max(worst, Math.Abs(x[at] - sum / weights));
                }
        Assert.True(worst < 1e-12, $"largest departure from the neighbours' average {worst:E2}");
    }

    [Fact]
    public void Road_imputation_noise_is_seeded_and_touches_only_removed_pixels()
    {
        using var image = zeros(1, 3, 32, 32);
        using var removed = zeros(1, 32, 32, dtype: ScalarType.Bool);
        removed[0, 8..24, 8..24] = tensor(true);
        var imputation = new NoisyLinearImputation(noise: 0.01);
        using var first = imputation.Impute(image, removed, new Generator(4));
        using var second = imputation.Impute(image, removed, new Generator(4));
        Assert.True(first.eq(second).all().item<bool>());
        using var inside = first[0, .., 8..24, 8..24];
        Assert.InRange(inside.std().item<float>(), 0.008f, 0.012f);
        Assert.Equal(0f, first.abs().sum().item<float>() - inside.abs().sum().item<float>(), 4);
    }
}
