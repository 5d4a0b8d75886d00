using System.Diagnostics;
using VisionLab.Reporting;
using VisionLab.Runs;
using VisionLab.Training.Metrics;

namespace VisionLab.Training.Callbacks;

/// <summary>
/// Keeps the run folder current after every epoch — metrics.json, curves.png and
/// confusion_matrix.png — so an interrupted run still leaves its history behind.
/// </summary>
public sealed class RunRecorder(RunFolder run, string model, string data, IReadOnlyList<string> classes) : ITrainerCallback
{
    private readonly Stopwatch wall = Stopwatch.StartNew();

    public RunMetrics? Latest { get; private set; }

    // Load the fonts and native chart code before the first epoch, so that epoch 1's memory
    // figure already includes them and later epochs compare like with like.
    public void OnTrainBegin(Trainer trainer) => Typefaces.EnsureRegistered();

    public void OnEpochEnd(Trainer trainer, EpochResult result, EvaluationResult evaluation)
    {
        Latest = RunMetrics.From(model, data, trainer.Model.ParameterCount(), trainer.History, evaluation, classes,
            wall.Elapsed.TotalSeconds);
        run.WriteJson(run.MetricsFile, Latest);
        AtomicFile.WriteAllBytes(run.CurvesImage, TrainingCurves.RenderPng(trainer.History, $"{model} on {data}"));
        AtomicFile.WriteAllBytes(run.ConfusionMatrixImage, ConfusionMatrixChart.RenderPng(evaluation.Confusion, classes,
            $"{model} on {data}, epoch {result.Epoch}: test accuracy {result.TestAccuracy:P2}"));
    }
}
