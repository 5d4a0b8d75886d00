using System.Runtime.InteropServices;
using VisionLab.Data;
using VisionLab.Training.Metrics;
using static TorchSharp.torch;

namespace VisionLab.Training;

/// <summary>Loss, accuracy and the confusion matrix of a model over a whole split, with its top-5
/// accuracy and the images it got wrong.</summary>
public sealed record EvaluationResult(double Loss, double Accuracy, ConfusionMatrix Confusion, double Seconds)
{
    /// <summary>The k of <see cref="Top5Accuracy"/>: 5, or the number of classes when there are
    /// fewer; 0 when top-k was not measured.</summary>
    public int TopK { get; init; }

    /// <summary>Share of images whose true class is among the model's <see cref="TopK"/> highest
    /// scores (never below <see cref="Accuracy"/>).</summary>
    public double Top5Accuracy { get; init; }

    /// <summary>Every misclassified image, in split order: index, true and predicted class and
    /// their probabilities (numbers only).</summary>
    public IReadOnlyList<Misclassification> Misclassified { get; init; } = [];

    /// <summary>The pixels of the mistakes the model was surest of, most confident first: at most
    /// as many as the evaluation was asked to keep (<see cref="Evaluator.DefaultMisclassifiedExamples"/>
    /// unless told otherwise).</summary>
    public IReadOnlyList<MisclassifiedExample> MisclassifiedExamples { get; init; } = [];
}

/// <summary>
/// Runs a model over a split in evaluation mode (no gradients; its mode is restored afterwards):
/// loss, top-1 and top-k accuracy, the confusion matrix, every mistake as numbers, and the pixels of
/// the mistakes it was surest of (see <see cref="MostConfidentMistakes"/> for why those).
/// </summary>
public static class Evaluator
{
    /// <summary>k of the top-k accuracy (capped at the number of classes).</summary>
    public const int TopK = 5;

    /// <summary>Misclassified images whose pixels an evaluation keeps unless told otherwise: a
    /// 6×6 grid; 113 KB of floats at 28×28, 22 MB at 3×224×224.</summary>
    public const int DefaultMisclassifiedExamples = 36;

    public static EvaluationResult Evaluate(nn.Module<Tensor, Tensor> model, IBatchSource loader, int classes,
        CancellationToken cancellation = default) =>
        Evaluate(model, loader, classes, DefaultMisclassifiedExamples, cancellation);

    /// <param name="keepExamples">How many of the most confident mistakes to keep the pixels of
    /// (0: none; every mistake's numbers are kept regardless).</param>
    public static EvaluationResult Evaluate(nn.Module<Tensor, Tensor> model, IBatchSource loader, int classes, int keepExamples,
        CancellationToken cancellation = default)
    {
        if (keepExamples < 0) throw new VisionLabException($"{keepExamples} misclassified images to keep: must be 0 or more");
        var started = System.Diagnostics.Stopwatch.StartNew();
        bool wasTraining = model.training;
        model.eval();
        int k = Math.Min(TopK, classes);
        var confusion = new ConfusionMatrix(classes);
        var mistakes = new List<Misclassification>();
        var examples = new MostConfidentMistakes(keepExamples);
        double lossSum = 0;
        long topKHits = 0;
        int seen = 0;
        try
        {
            using var _ = no_grad();
            foreach (var batch in loader.Epoch(0))
            {
                cancellation.ThrowIfCancellationRequested();
                using var b = batch;
                using var scope = NewDisposeScope();
                var logits = model.call(b.Images);
                lossSum += nn.functional.cross_entropy(logits, b.Labels, reduction: nn.Reduction.Sum).item<float>();
                var predictedOnCpu = logits.argmax(1).cpu();
                var actualOnCpu = b.Labels.cpu();
                // Top-k and the probabilities of the mistakes come from the logits in managed code: a
                // handful of tensor operations per batch more would cost more than the arithmetic.
                var scoresOnCpu = logits.to(ScalarType.Float32).cpu().contiguous();
                var actual = MemoryMarshal.Cast<byte, long>(actualOnCpu.bytes);
                var predicted = MemoryMarshal.Cast<byte, long>(predictedOnCpu.bytes);
                var scores = MemoryMarshal.Cast<byte, float>(scoresOnCpu.bytes);
                int width = (int)logits.shape[1];
                confusion.Add(actual, predicted);
                for (int i = 0; i < actual.Length; i++)
                {
                    var row = scores.Slice(i * width, width);
                    float trueScore = row[(int)actual[i]];
                    // In the top k when fewer than k classes score strictly higher: a tie at the
                    // boundary counts as a hit, and a right top-1 is always a top-k hit.
                    int higher = 0;
                    foreach (float score in row) if (score > trueScore) higher++;
                    if (higher < k) topKHits++;
                    if (actual[i] == predicted[i]) continue;
                    // Softmax shifted by the largest score (the predicted class's) so no exp overflows.
                    float top = row[(int)predicted[i]];
                    double sum = 0;
                    foreach (float score in row) sum += Math.Exp(score - top);
                    var mistake = new Misclassification(seen + i, (int)actual[i], (int)predicted[i],
                        (float)(Math.Exp(trueScore - top) / sum), (float)(1 / sum));
                    mistakes.Add(mistake);
                    examples.Offer(mistake, i);
                }
                examples.CopyPixels(b.Images);
                seen += actual.Length;
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        long total = confusion.Total;
        return new EvaluationResult(lossSum / total, confusion.Accuracy, confusion, started.Elapsed.TotalSeconds)
        {
            TopK = k,
            Top5Accuracy = total == 0 ? 0 : (double)topKHits / total,
            Misclassified = mistakes,
            MisclassifiedExamples = examples.Examples(),
        };
    }
}
