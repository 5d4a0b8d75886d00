using VisionLab.Data;
using VisionLab.Data.Transforms;
using VisionLab.Explain;
using VisionLab.Models;
using VisionLab.Runtime;
using VisionLab.Tests.Support;
using Xunit.Abstractions;

namespace VisionLab.Tests.Explain;

/// <summary>
/// Explaining never leaves a number for the garbage collector to free (see
/// <see cref="ScalarFinalisation"/>): <c>explain --evaluate</c> once crashed with "Unknown scalar type"
/// after twenty minutes, its progress bar redrawn on another thread. The explainer runs every method,
/// on both kinds of target layer, for two classes, with every faithfulness measure and the random
/// baseline, on LeNet-5 (whose own forward pass gives libtorch no number, so any Scalar is the explain
/// code's).
/// </summary>
public sealed class GarbageCollectionTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    /// <summary>How long the explanations run under collections. A crash in that time is luck (about
    /// one run in three before the fix); the count of finalised Scalars fails every time.</summary>
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(4);

    [Fact]
    public void Explaining_leaves_no_scalar_to_the_finalizer_and_gives_the_same_figures_while_another_thread_collects_garbage()
    {
        string path = folder.File("item.png");
        ExplainImages.WriteRgbPng(path, 36, 32);
        TorchRuntime.Seed(3);
        using var model = ModelZoo.Create("lenet5", new ModelOptions(10, 1));
        var transform = new EvalTransform(1, 28, 28, [0.2860f], [0.3530f], ResizeShorter: 32);
        var classes = ImageClassificationData.FashionMnistClasses;
        IExplanationMethod[] methods =
        [
            new GradCam(), new GradCamPlusPlus(), new XGradCam(), new HiResCam(), new LayerCam(), new EigenCam(),
            new ScoreCam(batchSize: 8), new AblationCam(batchSize: 8), new Saliency(), new SmoothGrad(samples: 4, batchSize: 2),
            new IntegratedGradients(steps: 4, batchSize: 2), new GuidedBackpropagation(), new Occlusion(patch: 7, stride: 7),
        ];
        // Both ways a target layer is reached: the backbone's output, and a forward hook on a named layer.
        var steps = new (Explainer Explainer, IExplanationMethod[] Methods)[]
        {
            (new Explainer(model, transform, classes), methods),
            (new Explainer(model, transform, classes, layer: "conv2"), methods.Where(m => m.UsesTargetLayer).ToArray()),
        };
        var options = new FaithfulnessOptions { Steps = 4, RoadPercentages = [30, 70], BatchSize = 4 };
        IReadOnlyList<double> Figures((Explainer Explainer, IExplanationMethod[] Methods) step)
        {
            var explained = step.Explainer.Explain(path, step.Methods, ClassSelection.Top(2), options);
            using var picture = explained.Picture;
            return [.. explained.Explanations.SelectMany(e => e.Map.Values.Select(v => (double)v).Concat(Numbers(e.Faithfulness!))),
                    .. explained.RandomBaseline!.SelectMany(Numbers)];
        }

        ScalarFinalisation.AssertNoneFinalisedUnderCollections(
            [.. steps.Select(step => ($"the explanations on {step.Explainer.Layer.DisplayName}", (Func<IReadOnlyList<double>>)(() => Figures(step))))],
            Duration, output);
    }

    /// <summary>Every faithfulness figure, as one list of numbers.</summary>
    private static IEnumerable<double> Numbers(FaithfulnessScores scores) =>
    [
        scores.Probability, .. scores.Deletion.Probabilities, .. scores.Insertion.Probabilities,
        .. scores.MostRelevantFirst.Probabilities, .. scores.LeastRelevantFirst.Probabilities, scores.MaskedProbability,
    ];
}
