using Spectre.Console;
using VisionLab.Training;
using VisionLab.Training.Metrics;

namespace VisionLab.Cli.Rendering;

/// <summary>Tables shared by the verbs that report training and evaluation figures.</summary>
public static class Tables
{
    public static Table Epochs(IReadOnlyList<EpochResult> history)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Training summary[/]");
        foreach (string column in new[] { "epoch", "lr", "train loss", "train acc", "test loss", "test acc", "img/s", "RSS MB" })
            table.AddColumn(new TableColumn(column).RightAligned());
        double best = history.Max(h => h.TestAccuracy);
        foreach (var h in history)
        {
            string accuracy = h.TestAccuracy == best ? $"[green bold]{h.TestAccuracy:P2}[/]" : $"{h.TestAccuracy:P2}";
            table.AddRow($"{h.Epoch}", $"{h.LearningRate:G3}", $"{h.TrainLoss:F4}", $"{h.TrainAccuracy:P2}",
                $"{h.TestLoss:F4}", accuracy, $"{h.TrainImagesPerSecond:N0}", $"{h.ResidentMemoryMb:N0}");
        }
        return table;
    }

    public static Table PerClass(IReadOnlyList<ClassScores> scores)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Per class (test)[/]");
        table.AddColumn("class");
        foreach (string column in new[] { "precision", "recall", "F1", "support" })
            table.AddColumn(new TableColumn(column).RightAligned());
        foreach (var s in scores)
            table.AddRow(Markup.Escape(s.Class), $"{s.Precision:P1}", $"{s.Recall:P1}", $"{s.F1:F3}", $"{s.Support:N0}");
        return table;
    }
}
