using System.Runtime.InteropServices;
using VisionLab.Data;
using VisionLab.Training.Metrics;
using static TorchSharp.torch;

namespace VisionLab.Training;

/// <summary>Loss, accuracy and the confusion matrix of a model over a whole split.</summary>
public sealed record EvaluationResult(double Loss, double Accuracy, ConfusionMatrix Confusion, double Seconds);

public static class Evaluator
{
    public static EvaluationResult Evaluate(nn.Module<Tensor, Tensor> model, IBatchSource loader, int classes,
        CancellationToken cancellation = default)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        bool wasTraining = model.training;
        model.eval();
        var confusion = new ConfusionMatrix(classes);
        double lossSum = 0;
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
                var predicted = logits.argmax(1).cpu();
                var actual = b.Labels.cpu();
                confusion.Add(MemoryMarshal.Cast<byte, long>(actual.bytes), MemoryMarshal.Cast<byte, long>(predicted.bytes));
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return new EvaluationResult(lossSum / confusion.Total, confusion.Accuracy, confusion, started.Elapsed.TotalSeconds);
    }
}
