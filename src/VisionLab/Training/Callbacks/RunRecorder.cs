using VisionLab.Data.Transforms;
using VisionLab.Reporting;
using VisionLab.Runs;
using VisionLab.Training.Metrics;

namespace VisionLab.Training.Callbacks;

/// <summary>
/// Keeps the run folder current after every epoch — metrics.json, curves.png and the latest
/// evaluation (evaluation.json, confusion_matrix.png, misclassified.png; see <see cref="EvaluationReport"/>)
/// — so an interrupted run still leaves its history behind.
/// </summary>
/// <param name="transform">How the evaluated images were prepared: it turns the misclassified ones back into pictures.</param>
public sealed class RunRecorder(RunFolder run, string model, string data, IReadOnlyList<string> classes, EvalTransform transform)
    : ITrainerCallback
{
    public RunMetrics? Latest { get; private set; }

    // Load the fonts and native chart code before the first epoch, so that epoch 1's memory
    // figure already includes them and later epochs compare like with like.
    public void OnTrainBegin(Trainer trainer) => Typefaces.EnsureRegistered();

    public void OnEpochEnd(Trainer trainer, EpochResult result, EvaluationResult evaluation)
    {
        Latest = RunMetrics.From(model, data, trainer.Model.ParameterCount(), trainer.History, evaluation, classes);
        run.WriteJson(run.MetricsFile, Latest);
        AtomicFile.WriteAllBytes(run.CurvesImage, TrainingCurves.RenderPng(trainer.History, $"{model} on {data}"));
        EvaluationReport.Write(run.Root, evaluation, classes, transform, model, data, $"{model} on {data}, epoch {result.Epoch}");
    }
}
