using VisionLab.Data.Images;
using VisionLab.Data.Transforms;
using VisionLab.Data.Transforms.Images;
using VisionLab.Inference;
using VisionLab.Models;
using static TorchSharp.torch;

namespace VisionLab.Explain;

/// <summary>
/// Explains a classifier's predictions on image files: each image is prepared exactly as the model
/// was evaluated (its <see cref="EvalTransform"/>), classified, and explained by any of the
/// <see cref="ExplanationMethods"/> for the predicted class, a given class or the top k. The result
/// keeps the picture the model saw next to the raw maps, so overlays line up pixel for pixel.
/// <para>
/// Every tensor an image needs lives in a dispose scope that ends with the call; results are managed
/// arrays. Explaining thousands of images in a row keeps memory flat.
/// </para>
/// </summary>
public sealed class Explainer
{
    private readonly ImageClassifier model;
    private readonly ImagePipeline pipeline;
    private readonly Device device;
    private readonly ExplainContext context;

    /// <param name="model">The classifier, already on <paramref name="device"/>.</param>
    /// <param name="transform">How the model's inputs were prepared in evaluation (a checkpoint carries it).</param>
    /// <param name="classes">One name per output of the model.</param>
    /// <param name="layer">The layer CAM methods look at (a state-dict name); null for the family's default.</param>
    public Explainer(ImageClassifier model, EvalTransform transform, IReadOnlyList<string> classes, Device? device = null, string? layer = null)
    {
        if (classes.Count != model.NumClasses)
            throw new VisionLabException($"{classes.Count} class names were given for a model with {model.NumClasses} outputs");
        this.model = model;
        this.device = device ?? CPU;
        Transform = transform;
        Classes = classes;
        pipeline = transform.Pipeline();
        Layer = TargetLayer.Of(model, layer);
        context = new ExplainContext(model, Layer);
    }

    public EvalTransform Transform { get; }
    public IReadOnlyList<string> Classes { get; }
    public TargetLayer Layer { get; }

    /// <summary>Decodes <paramref name="imagePath"/> (an unreadable file fails with a
    /// <see cref="DataFormatException"/> naming it) and explains it.</summary>
    /// <param name="faithfulness">When given, each map's <see cref="Faithfulness"/> is measured
    /// with these options, and a random map's as the baseline.</param>
    public ImageExplanation Explain(string imagePath, IReadOnlyList<IExplanationMethod> methods, ClassSelection classes,
        FaithfulnessOptions? faithfulness = null)
    {
        Validate(methods, classes);
        using var image = ImageDecoder.Default.Decode(imagePath, Transform.Channels);
        return Explain(image, imagePath, methods, classes, faithfulness);
    }

    /// <summary>Explains a decoded image (left undisposed); <paramref name="name"/> names it in the result.</summary>
    public ImageExplanation Explain(ByteImage image, string name, IReadOnlyList<IExplanationMethod> methods, ClassSelection classes,
        FaithfulnessOptions? faithfulness = null)
    {
        Validate(methods, classes);
        // Evaluation transforms are deterministic; the fixed generator only keeps that so if one ever is not.
        var input = pipeline.ApplyKeepingPicture(image, new Random(0), out ByteImage picture);
        using var scope = NewDisposeScope();
        var batch = tensor(input, [1, picture.Channels, picture.Height, picture.Width]).to(device);
        var ranked = Ranked(Probabilities(batch));
        List<ClassProbability> targets = classes.ClassIndex is int k ? [ranked.Single(c => c.Index == k)] : [.. ranked.Take(classes.TopK)];

        var explanations = new List<Explanation>();
        foreach (var method in methods)
        {
            foreach (var target in targets)
            {
                using var step = NewDisposeScope();
                var map = method.Explain(context, batch, target.Index);
                var scores = faithfulness is null ? null : Faithfulness.Measure(model, batch, target.Index, map, method.Name, faithfulness);
                explanations.Add(new Explanation(method.Name, method.Title, method.UsesTargetLayer ? Layer.DisplayName : null, target, map, scores));
            }
        }
        var baseline = faithfulness is null ? null : targets.Select(target =>
        {
            using var step = NewDisposeScope();
            var shape = explanations.First(e => e.Target.Index == target.Index).Map;
            var random = RandomMap(shape.Height, shape.Width, faithfulness.Seed + target.Index);
            return Faithfulness.Measure(model, batch, target.Index, random, RandomBaselineName, faithfulness);
        }).ToList();
        return new ImageExplanation(name, picture, ranked[0], explanations, baseline);
    }

    /// <summary>The method name faithfulness figures of the random baseline carry.</summary>
    public const string RandomBaselineName = "random";

    private static SaliencyMap RandomMap(int height, int width, int seed)
    {
        var random = new Random(seed);
        return new SaliencyMap(Enumerable.Range(0, height * width).Select(_ => random.NextSingle()).ToArray(), height, width);
    }

    private void Validate(IReadOnlyList<IExplanationMethod> methods, ClassSelection classes)
    {
        if (methods.Count == 0) throw new VisionLabException("give at least one explanation method");
        classes.Validate(model.NumClasses);
    }

    private float[] Probabilities(Tensor batch)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        model.eval();
        var probabilities = nn.functional.softmax(model.call(batch), 1)[0].to(ScalarType.Float32).cpu();
        return probabilities.data<float>().ToArray();
    }

    /// <summary>Every class with its probability, most probable first (ties by index).</summary>
    private List<ClassProbability> Ranked(float[] probabilities) =>
        probabilities.Select((p, index) => new ClassProbability(Classes[index], index, p))
            .OrderByDescending(c => c.Probability).ThenBy(c => c.Index).ToList();
}
