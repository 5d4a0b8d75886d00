using System.Diagnostics;
using Spectre.Console;
using VisionLab.Training;

namespace VisionLab.Cli.Rendering;

/// <summary>
/// Shows training as it happens: a live bar per epoch on a terminal, or one line per epoch when
/// output goes to a file or pipe. Redraws at most ten times a second so the display costs the
/// loop nothing measurable.
/// </summary>
public sealed class TrainingProgress(ProgressContext? live) : ITrainerCallback
{
    private readonly Stopwatch sinceRedraw = Stopwatch.StartNew();
    private readonly Stopwatch total = Stopwatch.StartNew();
    private ProgressTask? current;

    public void OnBatchEnd(Trainer trainer, in BatchProgress p)
    {
        if (live is null || (sinceRedraw.ElapsedMilliseconds < 100 && p.Batch != p.Batches)) return;
        sinceRedraw.Restart();
        if (current is null)
            current = live.AddTask(Label(p.Epoch, p.Epochs), maxValue: p.Batches);
        current.Value = p.Batch;
        double done = (p.Epoch - 1 + (double)p.Batch / p.Batches) / p.Epochs;
        var eta = TimeSpan.FromSeconds(total.Elapsed.TotalSeconds * (1 - done) / Math.Max(done, 1e-9));
        current.Description = $"{Label(p.Epoch, p.Epochs)} loss [yellow]{p.Loss:F4}[/] acc [yellow]{p.Accuracy:P1}[/] " +
                              $"[blue]{p.ImagesPerSecond:N0}[/] img/s ETA {eta:mm\\:ss}";
    }

    public void OnEpochEnd(Trainer trainer, EpochResult r, EvaluationResult evaluation)
    {
        string line = $"{Label(r.Epoch, trainer.Epochs)} loss {r.TrainLoss:F4} acc {r.TrainAccuracy:P1} | " +
                      $"test loss {r.TestLoss:F4} [green]test acc {r.TestAccuracy:P2}[/] | {r.TrainImagesPerSecond:N0} img/s";
        if (current is not null)
        {
            current.Description = line;
            current.StopTask();
            current = null;
        }
        else if (live is null)
        {
            AnsiConsole.MarkupLine(line);
        }
    }

    /// <summary>Runs <paramref name="train"/> with a progress display suited to where output goes.</summary>
    public static T Show<T>(Func<IEnumerable<ITrainerCallback>, T> train)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive) return train([new TrainingProgress(null)]);
        return AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new ProgressBarColumn(), new PercentageColumn(), new TaskDescriptionColumn { Alignment = Justify.Left })
            .Start(live => train([new TrainingProgress(live)]));
    }

    private static string Label(int epoch, int epochs) => $"epoch {epoch}/{epochs}";
}
