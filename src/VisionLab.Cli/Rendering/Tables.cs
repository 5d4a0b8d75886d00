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

    /// <summary>The per-class table with sklearn's summary rows under it: accuracy, macro and weighted averages.</summary>
    public static Table Classification(ClassificationReport report)
    {
        var table = PerClass(report.PerClass);
        table.AddEmptyRow();
        table.AddRow("[bold]accuracy[/]", "", "", $"{report.Accuracy:F3}", $"{report.Support:N0}");
        foreach (var (name, average) in new[] { ("macro avg", report.MacroAverage), ("weighted avg", report.WeightedAverage) })
            table.AddRow($"[bold]{name}[/]", $"{average.Precision:P1}", $"{average.Recall:P1}", $"{average.F1:F3}", $"{average.Support:N0}");
        return table;
    }

    /// <summary>The most frequent mistakes: true class → predicted class, how many, and their share of the true class.</summary>
    public static Table MostConfused(IReadOnlyList<ConfusedPair> pairs)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Most confused (true → predicted)[/]");
        table.AddColumn("true class");
        table.AddColumn("predicted as");
        table.AddColumn(new TableColumn("images").RightAligned());
        table.AddColumn(new TableColumn("of true class").RightAligned());
        foreach (var p in pairs)
            table.AddRow(Markup.Escape(p.TrueClass), Markup.Escape(p.PredictedClass), $"{p.Count:N0}", $"{p.ShareOfTrueClass:P1}");
        return table;
    }
}
