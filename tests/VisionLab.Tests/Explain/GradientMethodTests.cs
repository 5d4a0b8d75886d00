using System.Text.Json;
using TorchSharp;
using VisionLab.Data.NumPy;
using VisionLab.Explain;
using VisionLab.Models;
using VisionLab.Models.Blocks;
using VisionLab.Models.Weights;
using VisionLab.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VisionLab.Tests.Explain;

/// <summary>Makes the PyTorch reference gradient maps once for the class's tests.</summary>
public sealed class GradientReferences : IDisposable
{
    /// <summary>ResNet calls ReLU as functions; the MobileNets as ReLU (V3, also inside
    /// squeeze-excitation, as a function) and ReLU6 (V2) modules next to hard-swish.</summary>
    public static readonly (string Id, int Classes, int Size)[] Cases =
    [
        ("resnet18", 10, 64),
        ("mobilenet_v3_small", 10, 64),
        ("mobilenet_v2", 10, 64),
    ];

    private readonly TempFolder folder = new();

    public GradientReferences()
    {
        var request = Cases.Select(c => new Dictionary<string, object>
        {
            ["id"] = c.Id, ["model"] = c.Id, ["num_classes"] = c.Classes, ["height"] = c.Size, ["width"] = c.Size, ["seed"] = 11,
        });
        PythonReferenceScript.Run("Explain/gradient_reference.py", folder.Path, JsonSerializer.Serialize(request));
    }

    public string File(string id, string suffix) => folder.File($"{id}.{suffix}");

    /// <summary>The case's model with the reference's weights, its input and the class it explains.</summary>
    public (ImageClassifier Model, Tensor Image, int ClassIndex) Load(string id)
    {
        var c = Cases.Single(k => k.Id == id);
        var model = ModelZoo.Create(id, new ModelOptions(c.Classes));
        WeightsFile.LoadInto(model, File(id, "weights.pt"));
        model.eval();
        using var expectedClass = NpyFile.Read(File(id, "class.npy"));
        return (model, NpyFile.Read(File(id, "input.npy")), (int)expectedClass.item<long>());
    }

    public void Dispose() => folder.Dispose();
}

/// <summary>
/// The gradient and perturbation methods: saliency and guided backpropagation equal PyTorch's on the
/// same seeded torchvision weights; Integrated Gradients keeps its completeness axiom; SmoothGrad is
/// reproducible from its seed; occlusion finds the one region a model looks at; and the guided-ReLU
/// switch leaves no trace once its scope ends.
/// </summary>
public class GradientMethodTests(GradientReferences references, ITestOutputHelper output) : IClassFixture<GradientReferences>
{
    [Theory]
    [InlineData("resnet18", "saliency")]
    [InlineData("resnet18", "guidedbackprop")]
    [InlineData("mobilenet_v3_small", "saliency")]
    [InlineData("mobilenet_v3_small", "guidedbackprop")]
    [InlineData("mobilenet_v2", "guidedbackprop")]
    public void Maps_equal_pytorch_on_the_same_weights(string id, string method)
    {
        var (model, image, classIndex) = references.Load(id);
        using var _ = model;
        using var __ = image;
        var map = ExplanationMethods.Find(method).Explain(new ExplainContext(model, TargetLayer.Of(model)), image, classIndex);

        using var expected = NpyFile.Read(references.File(id, $"{method}.npy"));
        Assert.Equal(expected.shape, new long[] { map.Height, map.Width });
        Assert.Equal(image.shape[2..], expected.shape);
        double largest = expected.max().item<float>();
        double difference = MaxDifference(map, expected) / largest;
        output.WriteLine($"{id} {method}: {map.Height}x{map.Width}, largest {largest:E3}, max |difference| / largest {difference:E2}");
        Assert.True(largest > 0, "the reference map is all zeros");
        Assert.True(difference <= 1e-4, $"{method} differs from PyTorch's by {difference:E2} of its largest value");
    }

    [Fact]
    public void Guided_backprop_differs_from_plain_gradients_and_leaves_no_trace()
    {
        foreach (var id in new[] { "resnet18", "mobilenet_v3_small" })
        {
            var (model, image, classIndex) = references.Load(id);
            using var _ = model;
            using var __ = image;
            using var logitsBefore = Logits(model, image);
            using var gradientBefore = InputGradients.Of(model, image, classIndex);

            var context = new ExplainContext(model, TargetLayer.Of(model));
            var guided = new GuidedBackpropagation().Explain(context, image, classIndex);
            var plain = new Saliency().Explain(context, image, classIndex);
            Assert.False(GuidedRelu.IsActive);

            using var logitsAfter = Logits(model, image);
            using var gradientAfter = InputGradients.Of(model, image, classIndex);
            double guidedVersusPlain = MaxDifference(guided, plain.ToTensor()) / plain.Values.Max();
            output.WriteLine($"{id}: guided vs plain max |difference| / largest {guidedVersusPlain:E2}; after the scope, logits and gradients bit-identical");
            Assert.True(logitsAfter.SameAs(logitsBefore), $"{id}: logits changed after guided backpropagation");
            Assert.True(gradientAfter.SameAs(gradientBefore), $"{id}: gradients changed after guided backpropagation");
            Assert.True(guidedVersusPlain > 0.05, $"{id}: the guided map is the plain one ({guidedVersusPlain:E2})");
        }
    }

    [Fact]
    public void Guided_backprop_refuses_a_model_without_relu_and_switches_off()
    {
        using var model = new RegionScore(top: 0, left: 0, side: 4);
        using var image = ones(1, 3, 16, 16);
        var error = Assert.Throws<VisionLabException>(() =>
            new GuidedBackpropagation().Explain(new ExplainContext(model, TargetLayer.Of(model)), image, 0));
        output.WriteLine(error.Message);
        Assert.Contains("guidedbackprop", error.Message);
        Assert.Contains("ReLU", error.Message);
        Assert.False(GuidedRelu.IsActive);
    }

    [Fact]
    public void Integrated_gradients_add_up_to_the_logit_difference_from_the_baseline()
    {
        var (model, _, _) = references.Load("resnet18");
        using var __ = model;
        // A smooth image (8×8 noise upsampled), like a photograph rather than white noise, and the
        // class whose logit moves most from the baseline: completeness is a relative statement,
        // ill-conditioned for a class whose logit hardly moves.
        using var generator = new Generator(5);
        using var coarse = randn([1, 3, 8, 8], ScalarType.Float32, generator: generator);
        using var image = nn.functional.interpolate(coarse, [32, 32], mode: InterpolationMode.Bilinear, align_corners: false);
        using var baseline = zeros_like(image);
        using var logits = Logits(model, image);
        using var baselineLogits = Logits(model, baseline);
        using var differences = (logits - baselineLogits)[0];
        int classIndex = (int)differences.abs().argmax().item<long>();
        double expected = differences[classIndex].ToDouble();

        var context = new ExplainContext(model, TargetLayer.Of(model));
        // Along the path a ReLU network's gradient is piecewise constant with a great many jumps, so
        // the quadrature converges unevenly (here 4e-2 at 64 steps, 2e-2 at 128, 2.8e-3 at 256,
        // 1.7e-3 at 512, 1.6e-3 at 1024); from 256 steps on it stays well inside 1 %.
        foreach (int steps in new[] { 64, 256, 512 })
        {
            var map = new IntegratedGradients(steps).Explain(context, image, classIndex);
            Assert.Equal((32, 32), (map.Height, map.Width));
            double total = map.Values.Sum(v => (double)v);
            double error = Math.Abs(total - expected) / Math.Abs(expected);
            output.WriteLine($"class {classIndex}, {steps} steps: attributions sum to {total:F5}, logit(x) - logit(baseline) = {expected:F5}, relative error {error:E2}");
            if (steps >= 256) Assert.True(error <= 0.01, $"completeness off by {error:P2} with {steps} steps");
        }
        Assert.True(Math.Abs(expected) > 0.1, $"the logit difference {expected} is too small to test completeness");
    }

    [Fact]
    public void Gauss_legendre_integrates_polynomials_of_degree_2n_minus_1_exactly()
    {
        foreach (int n in new[] { 1, 2, 5, 50 })
        {
            var (nodes, weights) = GaussLegendre.OnUnitInterval(n);
            Assert.True(nodes.Zip(nodes.Skip(1)).All(p => p.First < p.Second) && nodes[0] > 0 && nodes[^1] < 1);
            for (int degree = 0; degree <= 2 * n - 1; degree++)
            {
                double integral = nodes.Zip(weights).Sum(p => p.Second * Math.Pow(p.First, degree));
                Assert.True(Math.Abs(integral - 1.0 / (degree + 1)) < 1e-12, $"n={n}: ∫t^{degree} = {integral}");
            }
        }
    }

    [Fact]
    public void Smoothgrad_is_reproducible_from_its_seed_and_differs_from_saliency()
    {
        var (model, image, classIndex) = references.Load("resnet18");
        using var _ = model;
        using var __ = image;
        var context = new ExplainContext(model, TargetLayer.Of(model));
        var first = new SmoothGrad(seed: 3).Explain(context, image, classIndex);
        var same = new SmoothGrad(seed: 3).Explain(context, image, classIndex);
        var again = new SmoothGrad(seed: 3, batchSize: 5).Explain(context, image, classIndex);
        var otherSeed = new SmoothGrad(seed: 4).Explain(context, image, classIndex);
        var saliency = new Saliency().Explain(context, image, classIndex);

        Assert.Equal((64, 64), (first.Height, first.Width));
        double repeat = MaxDifference(first, again.ToTensor()) / first.Values.Max();
        double seeds = MaxDifference(first, otherSeed.ToTensor()) / first.Values.Max();
        double fromSaliency = MaxDifference(first.Normalized(), saliency.Normalized().ToTensor());
        output.WriteLine($"same seed (batch 8 vs 5) {repeat:E2}, other seed {seeds:E2}, normalised vs saliency {fromSaliency:E2} (of the largest value)");
        Assert.Equal(first.Values, same.Values);
        Assert.True(repeat <= 1e-5, $"the same seed gave maps {repeat:E2} apart");
        Assert.True(seeds > 1e-3, "another seed gave the same map");
        Assert.True(fromSaliency > 0.1, $"SmoothGrad is plain saliency ({fromSaliency:E2})");
    }

    [Fact]
    public void Occlusion_peaks_over_the_only_region_the_model_looks_at()
    {
        const int top = 21, left = 37, side = 10, size = 64;
        using var model = new RegionScore(top, left, side);
        using var image = ones(1, 3, size, size);
        var map = new Occlusion().Explain(new ExplainContext(model, TargetLayer.Of(model)), image, 0);
        Assert.Equal((size, size), (map.Height, map.Width));

        // Default patch 8 (64 / 8), stride 4: pixels more than a patch away from the region were
        // only ever covered by patches that miss it, so nothing changed for them.
        bool Inside(int y, int x) => y >= top && y < top + side && x >= left && x < left + side;
        bool Far(int y, int x) => y < top - 8 || y >= top + side + 8 || x < left - 8 || x >= left + side + 8;
        var cells = Enumerable.Range(0, size * size).Select(i => (y: i / size, x: i % size, v: map.Values[i])).ToList();
        double insideMin = cells.Where(c => Inside(c.y, c.x)).Min(c => c.v);
        double farMax = cells.Where(c => Far(c.y, c.x)).Max(c => Math.Abs(c.v));
        var peak = cells.MaxBy(c => c.v);
        output.WriteLine($"peak {peak.v:F4} at ({peak.y}, {peak.x}); smallest inside {insideMin:F4}; largest |value| far away {farMax:E1}");
        Assert.True(Inside(peak.y, peak.x), $"the peak ({peak.y}, {peak.x}) is outside the region");
        Assert.True(insideMin > 0, "some pixel of the region shows no drop");
        Assert.Equal(0.0, farMax);
    }

    [Fact]
    public void Gradient_methods_are_registered_at_input_resolution()
    {
        foreach (var name in new[] { "saliency", "smoothgrad", "integratedgradients", "guidedbackprop", "occlusion" })
        {
            var method = ExplanationMethods.Find(name);
            Assert.Equal(name, method.Name);
            Assert.False(method.UsesTargetLayer);
        }
    }

    [Fact]
    public void Saliency_of_a_region_score_is_its_exact_gradient()
    {
        using var model = new RegionScore(top: 2, left: 5, side: 4);
        using var image = (arange(3 * 12 * 12, ScalarType.Float32) / 432f).reshape(1, 3, 12, 12);
        var map = new Saliency().Explain(new ExplainContext(model, TargetLayer.Of(model)), image, 0);
        // logit = scale · mean over 3×4×4 values, so each of them has gradient scale / 48.
        for (int y = 0; y < 12; y++)
        {
            for (int x = 0; x < 12; x++)
            {
                float expected = y is >= 2 and < 6 && x is >= 5 and < 9 ? RegionScore.Scale / 48f : 0f;
                Assert.Equal(expected, map.Values[y * 12 + x], 1e-6f);
            }
        }
        Assert.Throws<VisionLabException>(() => new Saliency().Explain(new ExplainContext(model, TargetLayer.Of(model)), image, 2));
    }

    private static Tensor Logits(ImageClassifier model, Tensor image)
    {
        using var _ = no_grad();
        return model.call(image);
    }

    private static double MaxDifference(SaliencyMap map, Tensor expected)
    {
        using var actual = map.ToTensor();
        using var difference = (actual - expected).abs();
        return difference.max().item<float>();
    }

    /// <summary>A model that looks at one square only: class 0's logit is <see cref="Scale"/> times the
    /// region's mean, class 1's is zero. No ReLU anywhere.</summary>
    private sealed class RegionScore : ImageClassifier
    {
        public const float Scale = 4f;
        private readonly int top, left, side;

        public RegionScore(int top, int left, int side) : base(nameof(RegionScore))
        {
            (this.top, this.left, this.side) = (top, left, side);
            RegisterComponents();
        }

        public override int NumClasses => 2;

        public override Tensor ForwardFeatures(Tensor images) => images.alias();

        public override Tensor ForwardHead(Tensor features)
        {
            using var scope = NewDisposeScope();
            var score = features.narrow(2, top, side).narrow(3, left, side).mean([1, 2, 3]) * Scale;
            return stack([score, zeros_like(score)], 1).MoveToOuterDisposeScope();
        }

        protected override void ReplaceClassifier(int numClasses) => throw new NotSupportedException("a fixed test model");
    }
}
