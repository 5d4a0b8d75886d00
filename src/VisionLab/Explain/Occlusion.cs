using VisionLab.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace VisionLab.Explain;

/// <summary>
/// Occlusion — Zeiler and Fergus, "Visualizing and Understanding Convolutional Networks", ECCV 2014
/// (§4.2): slide a square patch over the image, fill it with the baseline, and record how much the
/// class's probability drops; each pixel's value is the mean drop over the patches that covered it.
/// No gradients: it asks the model directly what it misses, at the price of one forward pass per
/// patch position (run in batches).
/// <para>
/// The patch is <c>patch</c> pixels square (default an eighth of the image's shorter side) and
/// moves <c>stride</c> pixels at a time (default half the patch); the last row and column of
/// positions are moved in to touch the far edges, so every pixel is covered. The baseline is zero
/// in the model's input space — the training data's mean colour, as in <see cref="IntegratedGradients"/>.
/// The probability (softmax), not the logit, is what the paper plots, and it is bounded, so one
/// patch cannot dominate the map.
/// </para>
/// </summary>
public sealed class Occlusion : IExplanationMethod
{
    private readonly int? patch;
    private readonly int? stride;
    private readonly int batchSize;

    /// <param name="patch">The patch's side in pixels; null: an eighth of the shorter side.</param>
    /// <param name="stride">Pixels between positions; null: half the patch.</param>
    public Occlusion(int? patch = null, int? stride = null, int batchSize = 32)
    {
        if (patch < 1) throw new VisionLabException($"an occlusion patch must be at least 1 pixel, not {patch}");
        if (stride < 1) throw new VisionLabException($"the occlusion stride must be at least 1 pixel, not {stride}");
        if (batchSize < 1) throw new VisionLabException($"the occlusion batch size must be at least 1, not {batchSize}");
        (this.patch, this.stride, this.batchSize) = (patch, stride, batchSize);
    }

    public string Name => "occlusion";
    public string Title => "Occlusion";
    public bool UsesTargetLayer => false;

    public SaliencyMap Explain(ExplainContext context, Tensor image, int classIndex)
    {
        InputGradients.CheckImage(Name, image);
        int height = (int)image.shape[2], width = (int)image.shape[3];
        int side = patch ?? Math.Max(1, Math.Min(height, width) / 8);
        if (side > Math.Min(height, width))
            throw new VisionLabException($"an occlusion patch of {side} pixels does not fit the {height}×{width} image");
        int step = stride ?? Math.Max(1, side / 2);
        var positions = (from y in Offsets(height, side, step) from x in Offsets(width, side, step) select (y, x)).ToList();

        var model = context.Model;
        model.eval();
        using var noGradients = no_grad();
        using var scope = NewDisposeScope();
        var logits = model.call(image);
        InputGradients.CheckClass(classIndex, logits.shape[1]);
        double probability = nn.functional.softmax(logits, 1)[0, classIndex].ItemAsDouble();

        var dropSum = new double[height * width];
        var covered = new int[height * width];
        for (int start = 0; start < positions.Count; start += batchSize)
        {
            using var batch = NewDisposeScope();
            var chunk = positions.GetRange(start, Math.Min(batchSize, positions.Count - start));
            var occluded = image.expand(chunk.Count, -1, -1, -1).clone();
            for (int i = 0; i < chunk.Count; i++)
                occluded[i].narrow(1, chunk[i].y, side).narrow(2, chunk[i].x, side).zero_();
            using var probabilities = nn.functional.softmax(model.call(occluded), 1).select(1, classIndex)
                .to(ScalarType.Float64, CPU).contiguous();
            var occludedProbabilities = probabilities.data<double>().ToArray();
            for (int i = 0; i < chunk.Count; i++)
            {
                double drop = probability - occludedProbabilities[i];
                var (top, left) = chunk[i];
                for (int y = top; y < top + side; y++)
                {
                    for (int x = left; x < left + side; x++)
                    {
                        dropSum[y * width + x] += drop;
                        covered[y * width + x]++;
                    }
                }
            }
        }
        var map = dropSum.Select((sum, i) => (float)(sum / covered[i])).ToArray();
        return new SaliencyMap(map, height, width);
    }

    /// <summary>0, step, 2·step, … while the patch fits, then the position that touches the far edge.</summary>
    private static IEnumerable<int> Offsets(int length, int side, int step)
    {
        int last = length - side, offset = 0;
        for (; offset < last; offset += step) yield return offset;
        yield return last;
    }
}
