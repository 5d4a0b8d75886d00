using VisionLab.Runtime;
using static TorchSharp.torch;

namespace VisionLab.Data.Transforms.Images;

/// <summary>
/// A transform of a whole collated batch: images N×C×H×W (float) and class labels N (int64) in,
/// images and soft targets N×classes (float, rows summing to one) out. The returned tensors are
/// new; the inputs are left as they are.
/// </summary>
public interface IBatchTransform
{
    (Tensor Images, Tensor Targets) Apply(Tensor images, Tensor labels, Random random);
}

/// <summary>
/// MixUp (Zhang et al., 2018) as torchvision's classification reference applies it: with
/// probability <see cref="P"/>, every image is blended with its neighbour in the batch (the batch
/// rolled by one) as λ·x + (1 − λ)·x', and the one-hot targets alike, λ ~ Beta(α, α).
/// </summary>
public sealed class MixUp(int numClasses, double p = 0.5, double alpha = 1.0) : IBatchTransform
{
    public int NumClasses { get; } = numClasses > 0 ? numClasses : throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "must be positive");
    public double P { get; } = Probability.Checked(p);
    public double Alpha { get; } = alpha > 0 ? alpha : throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "must be positive");

    public (Tensor Images, Tensor Targets) Apply(Tensor images, Tensor labels, Random random)
    {
        var targets = BatchMixing.OneHot(labels, NumClasses, images.dtype);
        if (random.NextDouble() >= P) return (images.clone(), targets);
        double lambda = BatchMixing.SampleBeta(Alpha, random);
        using var rolledImages = images.roll(1, 0);
        using var mixedImages = images.Times(lambda);
        var result = mixedImages.PlusScaled(rolledImages, 1.0 - lambda);
        return (result, BatchMixing.MixTargets(targets, lambda));
    }

    public override string ToString() => $"MixUp(p={P}, alpha={Alpha})";
}

/// <summary>
/// CutMix (Yun et al., 2019) as torchvision's classification reference applies it: with
/// probability <see cref="P"/>, a box of area share about 1 − λ (λ ~ Beta(α, α)), centred at a
/// uniformly random pixel and clipped to the image, is pasted from each image's neighbour in the
/// batch; targets mix by the pasted box's true area.
/// </summary>
public sealed class CutMix(int numClasses, double p = 0.5, double alpha = 1.0) : IBatchTransform
{
    public int NumClasses { get; } = numClasses > 0 ? numClasses : throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "must be positive");
    public double P { get; } = Probability.Checked(p);
    public double Alpha { get; } = alpha > 0 ? alpha : throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "must be positive");

    /// <summary>torchvision's box for a given λ and centre: half-sides int(r·W) and int(r·H) with r = √(1 − λ) / 2, clipped.</summary>
    public static PixelRegion Box(int height, int width, double lambda, int centreY, int centreX)
    {
        double r = 0.5 * Math.Sqrt(1.0 - lambda);
        int halfWidth = (int)(r * width), halfHeight = (int)(r * height);
        int x1 = Math.Max(centreX - halfWidth, 0), y1 = Math.Max(centreY - halfHeight, 0);
        int x2 = Math.Min(centreX + halfWidth, width), y2 = Math.Min(centreY + halfHeight, height);
        return new PixelRegion(y1, x1, y2 - y1, x2 - x1);
    }

    public (Tensor Images, Tensor Targets) Apply(Tensor images, Tensor labels, Random random)
    {
        var targets = BatchMixing.OneHot(labels, NumClasses, images.dtype);
        var result = images.clone();
        if (random.NextDouble() >= P) return (result, targets);
        double lambda = BatchMixing.SampleBeta(Alpha, random);
        int height = (int)images.shape[2], width = (int)images.shape[3];
        int centreX = random.Next(width), centreY = random.Next(height);
        var box = Box(height, width, lambda, centreY, centreX);
        if (box.Width > 0 && box.Height > 0)
        {
            using var rolled = images.roll(1, 0);
            using var source = rolled.narrow(2, box.Top, box.Height).narrow(3, box.Left, box.Width);
            using var destination = result.narrow(2, box.Top, box.Height).narrow(3, box.Left, box.Width);
            destination.copy_(source);
        }
        double kept = 1.0 - (double)box.Width * box.Height / (width * height);
        return (result, BatchMixing.MixTargets(targets, kept));
    }

    public override string ToString() => $"CutMix(p={P}, alpha={Alpha})";
}

/// <summary>torchvision's reference recipe: one of the given batch transforms, chosen uniformly per batch.</summary>
public sealed class RandomBatchChoice(params IReadOnlyList<IBatchTransform> choices) : IBatchTransform
{
    public IReadOnlyList<IBatchTransform> Choices { get; } = choices.Count > 0 ? choices : throw new ArgumentException("give at least one batch transform");

    public (Tensor Images, Tensor Targets) Apply(Tensor images, Tensor labels, Random random) =>
        Choices[random.Next(Choices.Count)].Apply(images, labels, random);
}

internal static class BatchMixing
{
    public static Tensor OneHot(Tensor labels, int numClasses, ScalarType type)
    {
        if (labels.dim() != 1) throw new ArgumentException($"labels must be one class index per image, got shape [{string.Join(", ", labels.shape)}]");
        using var oneHot = nn.functional.one_hot(labels, numClasses);
        return oneHot.to_type(type);
    }

    /// <summary>λ·targets + (1 − λ)·(targets rolled by one); disposes <paramref name="targets"/>.</summary>
    public static Tensor MixTargets(Tensor targets, double lambda)
    {
        using (targets)
        using (var rolled = targets.roll(1, 0))
        using (var scaled = targets.Times(lambda))
            return scaled.PlusScaled(rolled, 1.0 - lambda);
    }

    /// <summary>Beta(α, α) as X / (X + Y) with X, Y ~ Gamma(α): the first coordinate of Dirichlet(α, α), as torchvision draws it.</summary>
    public static double SampleBeta(double alpha, Random random)
    {
        double x = SampleGamma(alpha, random), y = SampleGamma(alpha, random);
        return x / (x + y);
    }

    /// <summary>Gamma(shape, 1) by Marsaglia and Tsang's squeeze method; shapes below 1 via the U^(1/shape) boost.</summary>
    private static double SampleGamma(double shape, Random random)
    {
        if (shape < 1)
            return SampleGamma(shape + 1, random) * Math.Pow(1.0 - random.NextDouble(), 1.0 / shape);
        double d = shape - 1.0 / 3.0, c = 1.0 / Math.Sqrt(9.0 * d);
        while (true)
        {
            double z, v;
            do
            {
                z = RandomDraws.StandardNormal(random);
                v = 1.0 + c * z;
            } while (v <= 0);
            v = v * v * v;
            double u = 1.0 - random.NextDouble();
            if (Math.Log(u) < 0.5 * z * z + d - d * v + d * Math.Log(v)) return d * v;
        }
    }
}
