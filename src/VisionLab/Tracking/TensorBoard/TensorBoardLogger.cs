using VisionLab.Reporting;
using VisionLab.Training;
using static TorchSharp.torch;

namespace VisionLab.Tracking.TensorBoard;

/// <summary>
/// Writes a run's progress as TensorBoard event files, with the tags a PyTorch user's
/// <c>SummaryWriter</c> would have: after every epoch (step = the epoch number, from 1) the scalars
/// <c>loss/train</c>, <c>loss/test</c>, <c>accuracy/train</c>, <c>accuracy/test</c>,
/// <c>learning_rate</c>, <c>throughput/train_images_per_second</c> and <c>memory/resident_mb</c>,
/// a histogram <c>weights/&lt;parameter name&gt;</c> of every parameter tensor and, given sample
/// images, the image <c>predictions</c>; and every <c>stepInterval</c> optimiser steps (step = the
/// optimiser steps taken so far) <c>loss/train_running</c>, the epoch's mean training loss so far.
/// Everything is flushed to disk at the end of each epoch, so TensorBoard follows the run live and
/// a crashed run keeps its history.
/// </summary>
public sealed class TensorBoardLogger : ITrainerCallback, IDisposable
{
    private readonly EventFileWriter writer;
    private readonly SampleImages? samples;
    private readonly int stepInterval;

    /// <param name="folder">Where the event file goes (created if need be): the folder to point
    /// <c>tensorboard --logdir</c> at, or a sub-folder of it.</param>
    /// <param name="samples">Held-out images to show predictions on; null: no <c>predictions</c>
    /// image. The logger owns and disposes them.</param>
    /// <param name="stepInterval">Optimiser steps between two <c>loss/train_running</c> points.</param>
    public TensorBoardLogger(string folder, SampleImages? samples = null, int stepInterval = 50)
    {
        try
        {
            if (stepInterval < 1) throw new VisionLabException($"TensorBoard step interval {stepInterval} must be at least 1");
            writer = new EventFileWriter(folder);
        }
        catch
        {
            // Owned from the start: a logger that cannot be made still releases them.
            samples?.Dispose();
            throw;
        }
        this.samples = samples;
        this.stepInterval = stepInterval;
    }

    public string EventFile => writer.FilePath;

    // Load the fonts before the first epoch, as RunRecorder does, so that epoch 1's memory figure
    // already includes them.
    public void OnTrainBegin(Trainer trainer)
    {
        if (samples is not null) Typefaces.EnsureRegistered();
    }

    public void OnBatchEnd(Trainer trainer, in BatchProgress progress)
    {
        long step = (long)(progress.Epoch - 1) * progress.Batches + progress.Batch;
        if (step % stepInterval != 0) return;
        writer.WriteScalar("loss/train_running", step, progress.Loss);
        writer.Flush(toDisk: false);
    }

    public void OnEpochEnd(Trainer trainer, EpochResult result, EvaluationResult evaluation)
    {
        long step = result.Epoch;
        writer.WriteScalar("loss/train", step, result.TrainLoss);
        writer.WriteScalar("loss/test", step, result.TestLoss);
        writer.WriteScalar("accuracy/train", step, result.TrainAccuracy);
        writer.WriteScalar("accuracy/test", step, result.TestAccuracy);
        writer.WriteScalar("learning_rate", step, result.LearningRate);
        writer.WriteScalar("throughput/train_images_per_second", step, result.TrainImagesPerSecond);
        writer.WriteScalar("memory/resident_mb", step, result.ResidentMemoryMb);
        WriteWeightHistograms(trainer, step);
        if (samples is not null)
        {
            var (predicted, probability) = samples.Predict(trainer.Model);
            int right = predicted.Where((p, i) => p == samples.Labels[i]).Count();
            writer.WriteImage("predictions", step, samples.RenderPng(predicted, probability,
                $"epoch {result.Epoch}: {right} of {samples.Count} right (predicted ≠ true class)"));
        }
        writer.Flush();
    }

    public void OnTrainEnd(Trainer trainer) => writer.Flush();

    public void Dispose()
    {
        writer.Dispose();
        samples?.Dispose();
    }

    private void WriteWeightHistograms(Trainer trainer, long step)
    {
        foreach (var (name, parameter) in trainer.Model.named_parameters())
        {
            float[] values;
            using (NewDisposeScope())
                values = parameter.detach().to(ScalarType.Float32, CPU).contiguous().data<float>().ToArray();
            if (Histogram.Of(values) is { } histogram) writer.WriteHistogram($"weights/{name}", step, histogram);
        }
    }
}
