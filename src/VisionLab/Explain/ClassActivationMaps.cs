using VisionLab.Runtime;
using static TorchSharp.torch;

namespace VisionLab.Explain;

/// <summary>
/// The class-activation-map family: a weighted sum of the target layer's maps, made positive. They
/// differ in how each channel (or each position of each channel) is weighted.
/// </summary>
public abstract class ClassActivationMap : IExplanationMethod
{
    public abstract string Name { get; }
    public abstract string Title { get; }
    public bool UsesTargetLayer => true;

    public SaliencyMap Explain(ExplainContext context, Tensor image, int classIndex)
    {
        using var scope = NewDisposeScope();
        return SaliencyMap.From(Compute(context, image, classIndex)[0]);
    }

    /// <summary>The 1×h×w map, before any normalisation.</summary>
    protected abstract Tensor Compute(ExplainContext context, Tensor image, int classIndex);

    /// <summary>One forward pass: the maps A (1×C×h×w) and ∂score/∂A for the class's logit.</summary>
    protected static (Tensor Maps, Tensor Gradients) MapsAndGradients(ExplainContext context, Tensor image, int classIndex)
    {
        var pass = context.Layer.Forward(image);
        return (pass.Maps(), pass.Gradients(pass.Logits[0, classIndex]));
    }

    /// <summary>ReLU(Σ_c w_c · A_c) for channel weights 1×C.</summary>
    protected static Tensor WeightedSum(Tensor maps, Tensor weights) =>
        (maps * weights.unsqueeze(-1).unsqueeze(-1)).sum(1).relu();
}

/// <summary>Grad-CAM — Selvaraju et al., ICCV 2017: channel weights are the spatial mean of the class score's gradient.</summary>
public sealed class GradCam : ClassActivationMap
{
    public override string Name => "gradcam";
    public override string Title => "Grad-CAM";

    protected override Tensor Compute(ExplainContext context, Tensor image, int classIndex)
    {
        var (maps, gradients) = MapsAndGradients(context, image, classIndex);
        return WeightedSum(maps, gradients.mean([2, 3]));
    }
}

/// <summary>
/// Grad-CAM++ — Chattopadhay et al., WACV 2018: positive gradients weighted per position by
/// α = g² / (2g² + Σ_ab A · g³), which lets several instances of a class all light up. (The
/// closed form assumes an exponential of the score, so only the logit's gradients are needed.)
/// </summary>
public sealed class GradCamPlusPlus : ClassActivationMap
{
    public override string Name => "gradcam++";
    public override string Title => "Grad-CAM++";

    protected override Tensor Compute(ExplainContext context, Tensor image, int classIndex)
    {
        var (maps, g) = MapsAndGradients(context, image, classIndex);
        var g2 = g * g; // not g.pow(2), whose 2 would be a Scalar left to the finalizer (see HeldScalars)
        var g3 = g2 * g;
        var sumMaps = maps.sum([2, 3], keepdim: true);
        var alpha = g2 / g2.Times(2).Plus(sumMaps * g3).Plus(1e-7);
        alpha = where(g.NotEqualTo(0), alpha, zeros_like(alpha));
        return WeightedSum(maps, (g.relu() * alpha).sum([2, 3]));
    }
}

/// <summary>XGrad-CAM — Fu et al., BMVC 2020: weights Σ(g · A) / Σ A, which satisfy the paper's sensitivity and conservation axioms.</summary>
public sealed class XGradCam : ClassActivationMap
{
    public override string Name => "xgradcam";
    public override string Title => "XGrad-CAM";

    protected override Tensor Compute(ExplainContext context, Tensor image, int classIndex)
    {
        var (maps, g) = MapsAndGradients(context, image, classIndex);
        var weights = (g * maps).sum([2, 3]) / maps.sum([2, 3]).Plus(1e-7);
        return WeightedSum(maps, weights);
    }
}

/// <summary>HiRes-CAM — Draelos and Carin, 2020: gradient times activation per position, summed over
/// channels; unlike Grad-CAM's averaged weights it shows only where the model looked.</summary>
public sealed class HiResCam : ClassActivationMap
{
    public override string Name => "hirescam";
    public override string Title => "HiRes-CAM";

    protected override Tensor Compute(ExplainContext context, Tensor image, int classIndex)
    {
        var (maps, g) = MapsAndGradients(context, image, classIndex);
        return (g * maps).sum(1).relu();
    }
}

/// <summary>LayerCAM — Jiang et al., IEEE TIP 2021: positive gradients times activations per position,
/// summed over channels, which also gives useful maps from earlier layers.</summary>
public sealed class LayerCam : ClassActivationMap
{
    public override string Name => "layercam";
    public override string Title => "LayerCAM";

    protected override Tensor Compute(ExplainContext context, Tensor image, int classIndex)
    {
        var (maps, g) = MapsAndGradients(context, image, classIndex);
        return (g.relu() * maps).sum(1).relu();
    }
}

/// <summary>
/// Eigen-CAM — Muhammad and Yeasin, IJCNN 2020: the maps' first principal component (positions as
/// samples, channels as features, centred), with no gradients and so no class: it shows what the
/// layer responds to most. The component's sign is arbitrary; it is chosen so the map agrees with
/// the mean activation.
/// </summary>
public sealed class EigenCam : ClassActivationMap
{
    public override string Name => "eigencam";
    public override string Title => "Eigen-CAM";

    protected override Tensor Compute(ExplainContext context, Tensor image, int classIndex)
    {
        var maps = context.Layer.Forward(image).Maps();
        using var _ = no_grad();
        long channels = maps.shape[1], h = maps.shape[2], w = maps.shape[3];
        var positions = maps[0].reshape(channels, h * w).t().to(ScalarType.Float64);
        var centred = positions - positions.mean([0], keepdim: true);
        var (_, _, vh) = linalg.svd(centred, fullMatrices: false);
        var projection = centred.matmul(vh[0]);
        var mean = positions.mean([1]);
        if (projection.dot(mean - mean.mean()).item<double>() < 0) projection = projection.neg();
        return projection.reshape(1, h, w).to(ScalarType.Float32).relu();
    }
}

/// <summary>
/// Score-CAM — Wang et al., CVPR Workshops 2020: each channel's map, upsampled to the image and
/// scaled to [0, 1], masks the input; the softmax over channels of the class's probability on each
/// masked input weighs the maps. No gradients, one forward pass per channel (in batches).
/// </summary>
public sealed class ScoreCam(int batchSize = 32) : ClassActivationMap
{
    public override string Name => "scorecam";
    public override string Title => "Score-CAM";

    protected override Tensor Compute(ExplainContext context, Tensor image, int classIndex)
    {
        using var _ = no_grad();
        var maps = context.Layer.Forward(image).Maps().detach();
        long channels = maps.shape[1];
        var upsampled = nn.functional.interpolate(maps, [image.shape[2], image.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false)[0];
        var flat = upsampled.reshape(channels, -1);
        var (low, high) = (flat.amin([1], keepdim: true), flat.amax([1], keepdim: true));
        var masks = ((flat - low) / (high - low).AtLeast(1e-7)).reshape(channels, 1, image.shape[2], image.shape[3]);
        var scores = new List<Tensor>();
        for (long start = 0; start < channels; start += batchSize)
        {
            using var chunk = NewDisposeScope();
            long n = Math.Min(batchSize, channels - start);
            var masked = image * masks.narrow(0, start, n);
            scores.Add(nn.functional.softmax(context.Model.call(masked), 1).select(1, classIndex).MoveToOuterDisposeScope());
        }
        var weights = nn.functional.softmax(cat(scores, 0), 0).unsqueeze(0);
        return WeightedSum(maps, weights);
    }
}

/// <summary>
/// Ablation-CAM — Desai and Ramaswamy, WACV 2020: a channel's weight is the share of the class score
/// lost when that channel is zeroed. No gradients; one forward pass from the target layer on per
/// channel (in batches).
/// </summary>
public sealed class AblationCam(int batchSize = 64) : ClassActivationMap
{
    public override string Name => "ablationcam";
    public override string Title => "Ablation-CAM";

    protected override Tensor Compute(ExplainContext context, Tensor image, int classIndex)
    {
        using var _ = no_grad();
        var pass = context.Layer.Forward(image);
        var maps = pass.Maps().detach();
        double score = pass.Logits[0, classIndex].item<float>();
        long channels = maps.shape[1];
        var drops = new List<Tensor>();
        for (long start = 0; start < channels; start += batchSize)
        {
            using var chunk = NewDisposeScope();
            long n = Math.Min(batchSize, channels - start);
            var logits = context.Layer.LogitsWithEditedMaps(image, grid =>
            {
                // n copies of the maps, copy i with channel start + i zeroed.
                var keep = Enumerable.Repeat(1f, (int)(n * channels)).ToArray();
                for (long i = 0; i < n; i++) keep[i * channels + start + i] = 0;
                return grid.expand(n, -1, -1, -1) * tensor(keep, [n, channels, 1, 1]).to(grid.dtype, grid.device);
            });
            // (score − logit) / |score|: the share of the score lost.
            var lost = logits.select(1, classIndex).Minus(score).neg();
            drops.Add(lost.DividedBy(Math.Abs(score) + 1e-7).MoveToOuterDisposeScope());
        }
        return WeightedSum(maps, cat(drops, 0).unsqueeze(0));
    }
}
