using VisionLab.Data;
using static TorchSharp.torch;

namespace VisionLab.Tests.Training.Evaluation;

/// <summary>Batches of given images and labels, the same every epoch.</summary>
internal sealed class FixedBatches(params (Tensor Images, long[] Labels)[] batches) : IBatchSource
{
    public int ImagesPerEpoch => batches.Sum(b => b.Labels.Length);
    public int BatchesPerEpoch => batches.Length;

    public IEnumerable<Batch> Epoch(int epoch)
    {
        foreach (var (images, labels) in batches) yield return new Batch(images.alias(), tensor(labels));
    }

    /// <summary>Each row of scores as an N×1×1×C "image", for <see cref="FirstPixelsAreLogits"/>.</summary>
    public static (Tensor, long[]) OfScores(float[][] scores, long[] labels) =>
        (tensor(scores.SelectMany(r => r).ToArray(), [scores.Length, 1, 1, scores[0].Length]), labels);
}

/// <summary>A "model" whose logits for C classes are the first C values of each input image, so
/// that a test sets every score, rank and probability.</summary>
internal sealed class FirstPixelsAreLogits(int classes) : nn.Module<Tensor, Tensor>(nameof(FirstPixelsAreLogits))
{
    public override Tensor forward(Tensor input) => input.flatten(1).narrow(1, 0, classes);
}
