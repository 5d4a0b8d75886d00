using VisionLab.Runtime;
using TorchSharp;
using VisionLab.Models;
using static TorchSharp.torch;

namespace VisionLab.Explain;

/// <summary>What deletion removes pixels to.</summary>
public enum DeletionBaseline
{
    /// <summary>0 in the model's normalised input space: the data set's mean colour (RISE's choice).</summary>
    Mean,

    /// <summary>A Gaussian-blurred copy of the image, which keeps the colours and removes the detail.</summary>
    Blur,
}

/// <summary>How the faithfulness metrics perturb an image.</summary>
public sealed record FaithfulnessOptions
{
    /// <summary>Deletion and insertion steps: the curves have Steps + 1 points, 0 to all pixels.</summary>
    public int Steps { get; init; } = 20;

    public DeletionBaseline DeletionBaseline { get; init; } = DeletionBaseline.Mean;

    /// <summary>Shares of pixels ROAD removes, in percent, each in (0, 100).</summary>
    public IReadOnlyList<int> RoadPercentages { get; init; } = [10, 20, 30, 40, 50, 60, 70, 80, 90];

    /// <summary>Standard deviation of ROAD's imputation noise in the normalised input space (the paper's 0.01).</summary>
    public double RoadNoise { get; init; } = 0.01;

    /// <summary>Gaussian blur of the insertion start (and of the blur deletion baseline): RISE's
    /// 11×11 kernel of σ 5 at 224 pixels, applied at any size.</summary>
    public int BlurKernel { get; init; } = 11;

    public double BlurSigma { get; init; } = 5;

    /// <summary>Perturbed images per forward pass.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Seed of ROAD's noise, so a measurement repeats exactly.</summary>
    public int Seed { get; init; }

    internal void Validate()
    {
        if (Steps < 1) throw new VisionLabException($"faithfulness steps {Steps} must be at least 1");
        if (BatchSize < 1) throw new VisionLabException($"faithfulness batch size {BatchSize} must be at least 1");
        if (RoadPercentages.Count == 0 || RoadPercentages.Any(p => p <= 0 || p >= 100))
            throw new VisionLabException($"ROAD percentages [{string.Join(", ", RoadPercentages)}] must be at least one, each between 0 and 100 exclusive");
        if (RoadNoise < 0) throw new VisionLabException($"ROAD noise {RoadNoise} must not be negative");
        if (BlurKernel < 1 || BlurKernel % 2 == 0) throw new VisionLabException($"blur kernel {BlurKernel} must be a positive odd number");
        if (BlurSigma <= 0) throw new VisionLabException($"blur sigma {BlurSigma} must be positive");
    }
}

/// <summary>
/// Whether a saliency map is faithful to the model — whether the pixels it ranks high are the ones
/// the model's decision rests on — measured by perturbing the image in the map's order and watching
/// the class's probability. One image, one class, one map at any resolution (it is upsampled to the
/// input bilinearly); the model runs in eval mode on the image's device, the perturbed images in
/// batches.
/// <list type="bullet">
/// <item>Deletion and insertion (Petsiuk et al., RISE, BMVC 2018): pixels in order of decreasing
/// saliency, in <see cref="FaithfulnessOptions.Steps"/> equal steps, are removed to a baseline
/// (deletion; the data set's mean by default, as RISE's zeros in normalised space) or restored onto a
/// blurred copy (insertion); the areas under the probability curves summarise them.</item>
/// <item>ROAD (Rong et al., ICML 2022): a percentage of pixels, most or least relevant first, are
/// removed and filled by <see cref="NoisyLinearImputation"/>, so the shape of the hole does not
/// tell the model which pixels were ranked high.</item>
/// <item>Average drop and increase in confidence (Chattopadhay et al., Grad-CAM++, WACV 2018): the
/// image multiplied by the map scaled to [0, 1] against the image.</item>
/// </list>
/// All perturbations act on all channels of a pixel together, in the model's normalised input space.
/// </summary>
public static class Faithfulness
{
    /// <summary>Computes <paramref name="method"/>'s map for the class and measures it.</summary>
    public static FaithfulnessScores Measure(ExplainContext context, IExplanationMethod method, Tensor image, int classIndex,
        FaithfulnessOptions? options = null)
    {
        var map = method.Explain(context, image, classIndex);
        return Measure(context.Model, image, classIndex, map, method.Name, options);
    }

    /// <summary>Every figure for <paramref name="map"/> (any resolution) on <paramref name="image"/>
    /// (1×C×H×W, prepared for the model and on its device).</summary>
    public static FaithfulnessScores Measure(ImageClassifier model, Tensor image, int classIndex, SaliencyMap map, string method,
        FaithfulnessOptions? options = null)
    {
        options ??= new FaithfulnessOptions();
        options.Validate();
        Check(model, image, classIndex);
        double probability = Probabilities(model, image, classIndex, options.BatchSize).Probabilities[0];
        return new FaithfulnessScores(
            method,
            classIndex,
            probability,
            DeletionCurve(model, image, classIndex, map, options),
            InsertionCurve(model, image, classIndex, map, options),
            Road(model, image, classIndex, map, mostRelevantFirst: true, options),
            Road(model, image, classIndex, map, mostRelevantFirst: false, options),
            MaskedProbability(model, image, classIndex, map));
    }

    /// <summary>RISE's deletion: the most salient pixels first replaced by the baseline.</summary>
    public static PerturbationCurve DeletionCurve(ImageClassifier model, Tensor image, int classIndex, SaliencyMap map,
        FaithfulnessOptions? options = null)
    {
        options ??= new FaithfulnessOptions();
        options.Validate();
        Check(model, image, classIndex);
        using var scope = NewDisposeScope();
        var baseline = options.DeletionBaseline == DeletionBaseline.Blur ? Blur(image, options) : zeros_like(image);
        return Curve(model, image, classIndex, map, options, first: baseline, rest: image);
    }

    /// <summary>RISE's insertion: starting from a blurred copy, the most salient pixels first restored.</summary>
    public static PerturbationCurve InsertionCurve(ImageClassifier model, Tensor image, int classIndex, SaliencyMap map,
        FaithfulnessOptions? options = null)
    {
        options ??= new FaithfulnessOptions();
        options.Validate();
        Check(model, image, classIndex);
        using var scope = NewDisposeScope();
        return Curve(model, image, classIndex, map, options, first: image, rest: Blur(image, options));
    }

    /// <summary>ROAD at each of the options' percentages, most (MoRF) or least (LeRF) relevant pixels removed first.</summary>
    public static RoadCurve Road(ImageClassifier model, Tensor image, int classIndex, SaliencyMap map, bool mostRelevantFirst,
        FaithfulnessOptions? options = null)
    {
        options ??= new FaithfulnessOptions();
        options.Validate();
        Check(model, image, classIndex);
        using var scope = NewDisposeScope();
        int height = (int)image.shape[2], width = (int)image.shape[3], pixels = height * width;
        var rank = Ranks(map, height, width, image.device, mostRelevantFirst);
        var counts = options.RoadPercentages.Select(p => (long)Math.Round(p / 100.0 * pixels)).ToArray();
        var removed = rank.reshape(1, height, width).lt(tensor(counts, device: image.device).reshape(-1, 1, 1));
        using var generator = new Generator((ulong)options.Seed);
        var imputed = new NoisyLinearImputation(options.RoadNoise).Impute(image.expand(counts.Length, -1, -1, -1), removed, generator);
        var (probabilities, correct) = Probabilities(model, imputed, classIndex, options.BatchSize);
        return new RoadCurve(options.RoadPercentages.ToArray(), probabilities, correct);
    }

    /// <summary>
    /// The class's probability on the image multiplied by the map, upsampled and scaled into [0, 1]
    /// by its maximum after negatives are clipped (a negative value is evidence against the class,
    /// which the mask should remove; a map of ones keeps the image as it is). As with Score-CAM's
    /// masks, the product is taken in the normalised input space, so what the map hides goes to the
    /// data set's mean colour.
    /// </summary>
    public static double MaskedProbability(ImageClassifier model, Tensor image, int classIndex, SaliencyMap map)
    {
        Check(model, image, classIndex);
        using var scope = NewDisposeScope();
        var values = Upsampled(map, (int)image.shape[2], (int)image.shape[3], image.device).relu();
        double max = values.max().item<float>();
        var mask = max > 0 ? values.DividedBy(max) : zeros_like(values);
        return Probabilities(model, image * mask.reshape(1, 1, image.shape[2], image.shape[3]), classIndex, 1).Probabilities[0];
    }

    /// <summary>
    /// Steps + 1 images: image k shows <paramref name="first"/> at the first n_k pixels in the map's
    /// order (n_k = round(k · pixels / steps)) and <paramref name="rest"/> elsewhere — the baseline
    /// over the image for deletion, the image over its blurred copy for insertion.
    /// </summary>
    private static PerturbationCurve Curve(ImageClassifier model, Tensor image, int classIndex, SaliencyMap map,
        FaithfulnessOptions options, Tensor first, Tensor rest)
    {
        int height = (int)image.shape[2], width = (int)image.shape[3], pixels = height * width;
        var rank = Ranks(map, height, width, image.device).reshape(1, 1, height, width);
        var counts = Enumerable.Range(0, options.Steps + 1).Select(k => (long)Math.Round((double)k * pixels / options.Steps)).ToArray();
        var probabilities = new List<double>();
        for (int start = 0; start < counts.Length; start += options.BatchSize)
        {
            using var chunk = NewDisposeScope();
            var chunkCounts = counts.Skip(start).Take(options.BatchSize).ToArray();
            var changed = rank.lt(tensor(chunkCounts, device: image.device).reshape(-1, 1, 1, 1));
            probabilities.AddRange(Probabilities(model, where(changed, first, rest), classIndex, options.BatchSize).Probabilities);
        }
        return new PerturbationCurve(counts.Select(c => (double)c / pixels).ToArray(), probabilities);
    }

    /// <summary>Each pixel's place (0 = most salient) in the map's order, upsampled to the image;
    /// ties keep reading order, so a flat map removes row by row. Least relevant first, the order
    /// is exactly reversed (0 = least salient).</summary>
    private static Tensor Ranks(SaliencyMap map, int height, int width, Device device, bool mostRelevantFirst = true)
    {
        float[] values = ResizedValues(map, height, width);
        var order = Enumerable.Range(0, values.Length).OrderByDescending(i => values[i]).ToArray();
        var rank = new long[values.Length];
        for (int place = 0; place < order.Length; place++) rank[order[place]] = mostRelevantFirst ? place : order.Length - 1 - place;
        return tensor(rank, [height, width], device: device);
    }

    private static Tensor Upsampled(SaliencyMap map, int height, int width, Device device) =>
        tensor(ResizedValues(map, height, width), [height, width], device: device);

    /// <summary>The map's values at the image's size (bilinear, as <see cref="SaliencyMap.Resized"/>), checked.</summary>
    private static float[] ResizedValues(SaliencyMap map, int height, int width)
    {
        if (map.Height < 1 || map.Width < 1 || map.Values.Length != map.Height * map.Width)
            throw new VisionLabException($"the saliency map holds {map.Values.Length} values, not {map.Height}×{map.Width}");
        if (map.Values.Any(v => !float.IsFinite(v))) throw new VisionLabException("the saliency map has values that are not finite numbers");
        return (map.Height == height && map.Width == width ? map : map.Resized(height, width)).Values;
    }

    /// <summary>A separable Gaussian blur of each channel; the border is replicated rather than
    /// zero-padded (RISE pads with zeros), so the edges do not fade to the mean colour and read as
    /// removed.</summary>
    private static Tensor Blur(Tensor image, FaithfulnessOptions options)
    {
        int radius = options.BlurKernel / 2;
        var offsets = Enumerable.Range(-radius, options.BlurKernel).Select(d => Math.Exp(-d * d / (2 * options.BlurSigma * options.BlurSigma))).ToArray();
        double total = offsets.Sum();
        var kernel = tensor(offsets.Select(v => (float)(v / total)).ToArray(), device: image.device).to(image.dtype);
        long channels = image.shape[1];
        var padded = nn.functional.pad(image, [radius, radius, radius, radius], PaddingModes.Replicate);
        var rows = nn.functional.conv2d(padded, kernel.reshape(1, 1, 1, -1).expand(channels, 1, 1, -1), groups: channels);
        return nn.functional.conv2d(rows, kernel.reshape(1, 1, -1, 1).expand(channels, 1, -1, 1), groups: channels);
    }

    /// <summary>The class's softmax probability for each image, and whether it is the top class, in batches.</summary>
    private static (double[] Probabilities, bool[] Correct) Probabilities(ImageClassifier model, Tensor images, int classIndex, int batchSize)
    {
        model.eval();
        using var _ = no_grad();
        var probabilities = new List<double>();
        var correct = new List<bool>();
        for (long start = 0; start < images.shape[0]; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var logits = model.call(images.narrow(0, start, Math.Min(batchSize, images.shape[0] - start)));
            var p = nn.functional.softmax(logits.to(ScalarType.Float64), 1).cpu();
            var top = logits.argmax(1).cpu();
            probabilities.AddRange(p.select(1, classIndex).data<double>().ToArray());
            correct.AddRange(top.data<long>().ToArray().Select(k => k == classIndex));
        }
        return (probabilities.ToArray(), correct.ToArray());
    }

    private static void Check(ImageClassifier model, Tensor image, int classIndex)
    {
        if (image.dim() != 4 || image.shape[0] != 1)
            throw new VisionLabException($"faithfulness is measured on one image, 1×C×H×W, not shape [{string.Join(", ", image.shape)}]");
        if (classIndex < 0 || classIndex >= model.NumClasses)
            throw new VisionLabException($"class {classIndex} is not one of the model's {model.NumClasses} classes");
    }
}
