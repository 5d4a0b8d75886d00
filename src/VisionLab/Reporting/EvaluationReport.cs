using System.Text.Json;
using VisionLab.Data.Transforms;
using VisionLab.Runs;
using VisionLab.Training;
using VisionLab.Training.Metrics;

namespace VisionLab.Reporting;

/// <summary>
/// What an evaluation leaves in a folder — <c>visionlab evaluate</c>'s output folder, or a run
/// folder at the end of training: <c>evaluation.json</c> (<see cref="EvaluationSummary"/>),
/// <c>confusion_matrix.png</c> and <c>misclassified.png</c>, each written atomically.
/// </summary>
public static class EvaluationReport
{
    public const string JsonFile = "evaluation.json";
    public const string ConfusionMatrixFile = "confusion_matrix.png";
    public const string MisclassifiedFile = "misclassified.png";

    /// <summary>Summarises <paramref name="result"/> and writes the three files into <paramref name="folder"/>.</summary>
    /// <param name="transform">The evaluation transform the images were prepared with (it turns the
    /// kept misclassified images back into pictures).</param>
    /// <param name="heading">Starts the charts' titles (default "model on data").</param>
    public static EvaluationFiles Write(string folder, EvaluationResult result, IReadOnlyList<string> classes,
        EvalTransform transform, string model, string data, string? heading = null) =>
        Write(folder, EvaluationSummary.From(result, classes, model, data), result, transform, heading);

    /// <summary>
    /// Writes <paramref name="summary"/> (made from <paramref name="result"/>) and the two charts. An
    /// evaluation that kept no misclassified images (none wrong, or none asked for) writes no grid
    /// and removes one an earlier evaluation left, so the folder never shows another model's mistakes.
    /// </summary>
    public static EvaluationFiles Write(string folder, EvaluationSummary summary, EvaluationResult result, EvalTransform transform,
        string? heading = null)
    {
        string root = Path.GetFullPath(folder);
        if (File.Exists(root)) throw new VisionLabException($"{root} is a file, not a folder to write the evaluation into");
        Directory.CreateDirectory(root);
        string json = Path.Combine(root, JsonFile), confusion = Path.Combine(root, ConfusionMatrixFile);
        string misclassified = Path.Combine(root, MisclassifiedFile);
        string name = heading ?? $"{summary.Model} on {summary.Data}";

        AtomicFile.WriteAllBytes(json, JsonSerializer.SerializeToUtf8Bytes(summary, Checkpoint.Json));
        AtomicFile.WriteAllBytes(confusion, ConfusionMatrixChart.RenderPng(result.Confusion, summary.Classes,
            $"{name}: top-1 {summary.Top1Accuracy:P2}, top-{summary.TopK} {summary.Top5Accuracy:P2}"));
        var examples = result.MisclassifiedExamples;
        if (examples.Count == 0)
        {
            File.Delete(misclassified);
            return new EvaluationFiles(json, confusion, null);
        }
        string which = examples.Count == result.Misclassified.Count
            ? $"all {examples.Count:N0} mistakes"
            : $"the {examples.Count:N0} most confident of {result.Misclassified.Count:N0} mistakes";
        AtomicFile.WriteAllBytes(misclassified, MisclassifiedGrid.RenderPng(examples, summary.Classes, transform, $"{name}: {which}"));
        return new EvaluationFiles(json, confusion, misclassified);
    }
}

/// <summary>Paths of the files an evaluation wrote; <see cref="Misclassified"/> is null when no grid was drawn.</summary>
public sealed record EvaluationFiles(string Json, string ConfusionMatrix, string? Misclassified);
