using VisionLab.Models;
using VisionLab.Runtime;
using VisionLab.Tests.Support;
using VisionLab.Training.Optimizers;
using VisionLab.Training.Regularization;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VisionLab.Tests.Runtime;

/// <summary>
/// Inference and training leave no number for the garbage collector to free (see
/// <see cref="ScalarFinalisation"/>): the web server runs forward passes on many threads with frequent
/// collections, and training redraws a progress bar on another thread. The models cover every kind of
/// block that mixes numbers into tensors: residual adds, squeeze-and-excitation gates, hard-swish,
/// layer scale, stochastic depth, attention scaling and its bias, shifted-window masks, position
/// embeddings and, in training, batch norm's batch counter; the steps cover SGD with momentum and
/// weight decay, AdamW and gradient clipping.
/// </summary>
public sealed class GarbageCollectionTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(3);
    private static readonly ModelOptions Options = new(NumClasses: 10, InChannels: 3);
    private const int ImageSize = 32;

    private readonly List<IDisposable> owned = [];

    public void Dispose()
    {
        foreach (var item in owned) item.Dispose();
    }

    private T Own<T>(T item) where T : IDisposable
    {
        owned.Add(item);
        return item;
    }

    // Small stand-ins for the zoo's transformers: the same blocks, a thousandth of the weights.
    private static ImageClassifier TinyVisionTransformer() =>
        new VisionTransformer(new VisionTransformer.Variant(PatchSize: 8, Layers: 2, HiddenDim: 32, MlpDim: 64, Heads: 4), Options, imageSize: ImageSize);

    // Windows of 4 on a 16×16 token map, so the second block of each stage attends in shifted windows.
    private static ImageClassifier TinySwin() =>
        new SwinTransformer(new SwinTransformer.Variant(EmbedDim: 16, Depths: [2, 2], Heads: [2, 4], StochasticDepth: 0.2, PatchSize: 2, Window: 4), Options);

    [Fact]
    public void Forward_passes_leave_no_scalar_to_the_finalizer_and_give_the_same_outputs_while_another_thread_collects_garbage()
    {
        TorchRuntime.Seed(5);
        var models = new (string Name, ImageClassifier Model)[]
        {
            ("mobilenet_v2", ModelZoo.Create("mobilenet_v2", Options)),
            ("mobilenet_v3_small", ModelZoo.Create("mobilenet_v3_small", Options)),
            ("mnasnet0_5", ModelZoo.Create("mnasnet0_5", Options)),
            ("efficientnet_b0", ModelZoo.Create("efficientnet_b0", Options)),
            ("regnet_y_400mf", ModelZoo.Create("regnet_y_400mf", Options)),
            ("convnext_tiny", ModelZoo.Create("convnext_tiny", Options)),
            ("a tiny Swin", TinySwin()),
            ("a tiny ViT", TinyVisionTransformer()),
        };
        var images = Own(randn(2, 3, ImageSize, ImageSize));
        foreach (var (_, model) in models)
        {
            Own(model);
            model.eval();
        }

        IReadOnlyList<double> Outputs(ImageClassifier model)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var features = model.ForwardFeatures(images);
            var logits = model.ForwardHead(features);
            return [.. Numbers(features), .. Numbers(logits)];
        }

        ScalarFinalisation.AssertNoneFinalisedUnderCollections(
            [.. models.Select(m => ($"{m.Name}'s output", (Func<IReadOnlyList<double>>)(() => Outputs(m.Model))))], Duration, output);
    }

    [Fact]
    public void Training_steps_leave_no_scalar_to_the_finalizer_and_take_the_same_steps_while_another_thread_collects_garbage()
    {
        TorchRuntime.Seed(6);
        var cases = new[]
        {
            Steps("SGD with momentum and weight decay on mobilenet_v2", ModelZoo.Create("mobilenet_v2", Options),
                p => new Sgd(p, 0.05, momentum: 0.9, weightDecay: 1e-4)),
            Steps("AdamW on a tiny Swin", TinySwin(), p => new Adam(p, 1e-3, weightDecay: 0.05, decoupled: true)),
        };
        ScalarFinalisation.AssertNoneFinalisedUnderCollections(cases, Duration, output);
    }

    /// <summary>
    /// Three training steps from the same weights, statistics and random state each time they run, with
    /// gradients clipped: the losses, the norms before clipping and the sums of the weights and of the
    /// batch norms' statistics afterwards.
    /// </summary>
    private (string, Func<IReadOnlyList<double>>) Steps(string name, ImageClassifier model, Func<FlatParameters, Optimizer> optimizer)
    {
        Own(model);
        model.train();
        var parameters = Own(new FlatParameters(model.named_parameters()));
        var initialWeights = Own(parameters.Values.clone());
        var buffers = model.buffers().Select(b => (Live: b, Initial: Own(b.clone()))).ToList();
        var images = Own(randn(4, 3, ImageSize, ImageSize));
        var labels = Own(tensor(new long[] { 1, 3, 5, 7 }));

        IReadOnlyList<double> Run()
        {
            using (no_grad())
            {
                parameters.Values.copy_(initialWeights);
                foreach (var (live, initial) in buffers) live.copy_(initial);
            }
            TorchRuntime.Seed(7);
            using var stepper = optimizer(parameters);
            var figures = new List<double>();
            for (int step = 0; step < 3; step++)
            {
                using var scope = NewDisposeScope();
                stepper.ZeroGrad();
                var loss = nn.functional.cross_entropy(model.call(images), labels);
                loss.backward();
                figures.Add(loss.item<float>());
                figures.Add(GradientClipping.ClipByGlobalNorm(parameters, maxNorm: 1.0));
                stepper.Step();
            }
            using var weights = parameters.Values.sum(ScalarType.Float64);
            figures.Add(weights.item<double>());
            foreach (var (live, _) in buffers)
            {
                using var sum = live.sum(ScalarType.Float64);
                figures.Add(sum.item<double>());
            }
            return figures;
        }

        return (name, Run);
    }

    private static IEnumerable<double> Numbers(Tensor t)
    {
        using var flat = t.flatten().to(ScalarType.Float64);
        return flat.data<double>().ToArray();
    }
}
