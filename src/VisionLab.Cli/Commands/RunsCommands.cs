using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Cli.Rendering;
using VisionLab.Reporting;
using VisionLab.Runs;
using VisionLab.Tracking.Store;

namespace VisionLab.Cli.Commands;

/// <summary>The <c>runs</c> verbs: list, show, compare and delete what the experiment store holds.</summary>
public static class RunsCommands
{
    /// <summary>Registers the branch's commands; Program.cs calls it as <c>config.AddBranch("runs", RunsCommands.Configure)</c>.</summary>
    public static void Configure(IConfigurator<CommandSettings> runs)
    {
        runs.SetDescription("The experiment store: every training run's settings, status and metrics (runs/visionlab.sqlite, or --store postgres://...).");
        runs.AddCommand<RunsListCommand>("list").WithDescription("Recorded runs, newest first: status, epochs, test accuracy, last update.")
            .WithExample("runs", "list", "--limit", "10");
        runs.AddCommand<RunsShowCommand>("show").WithDescription("One run: where and how it ran, its settings, and the table of its epochs.")
            .WithExample("runs", "show", "3f2a");
        runs.AddCommand<RunsCompareCommand>("compare").WithDescription("Runs side by side: final figures, the settings that differ, and a PNG of one metric's curves.")
            .WithExample("runs", "compare", "3f2a", "9bc1", "--metric", "test_loss", "--out", "curves.png");
        runs.AddCommand<RunsDeleteCommand>("delete").WithDescription("Remove runs and their metrics from the store (--files: their run folders too).")
            .WithExample("runs", "delete", "3f2a", "--yes");
    }

    /// <summary>What a list shows of an id: enough to tell runs apart and to type back.</summary>
    internal static string ShortId(string id) => id[..Math.Min(8, id.Length)];

    /// <summary>The stored status, except that a run whose process is gone is "lost".</summary>
    internal static string StatusOf(RunRecord run) =>
        RunLiveness.IsLost(run) ? "lost" : run.Status.ToString().ToLowerInvariant();

    internal static string ColouredStatus(string status) => status switch
    {
        "completed" => "[green]completed[/]",
        "running" => "[blue]running[/]",
        "lost" or "failed" => $"[red]{status}[/]",
        _ => $"[grey]{status}[/]",
    };

    internal const string LostNote =
        "[red]lost[/]: recorded as running, but the process that trained it on this machine is gone (crashed or killed); its figures up to then are kept.";

    internal static string LocalTime(DateTime utc) =>
        utc.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    internal static string Ago(DateTime utc)
    {
        var age = DateTime.UtcNow - utc;
        return age.TotalSeconds < 90 ? $"{Math.Max(0, age.TotalSeconds):F0} s ago"
            : age.TotalMinutes < 90 ? $"{age.TotalMinutes:F0} min ago"
            : age.TotalHours < 36 ? $"{age.TotalHours:F0} h ago"
            : $"{age.TotalDays:F0} d ago";
    }

    /// <summary>A metric's value the way people read that kind of figure.</summary>
    internal static string Format(string metric, double value) =>
        double.IsNaN(value) ? "—"
        : metric.EndsWith("accuracy", StringComparison.Ordinal) ? value.ToString("P2", CultureInfo.InvariantCulture)
        : metric.EndsWith("loss", StringComparison.Ordinal) ? value.ToString("F4", CultureInfo.InvariantCulture)
        : metric == EpochMetrics.LearningRate ? value.ToString("G3", CultureInfo.InvariantCulture)
        : metric.EndsWith("seconds", StringComparison.Ordinal) ? value.ToString("F1", CultureInfo.InvariantCulture)
        : metric.EndsWith("per_second", StringComparison.Ordinal) || metric.EndsWith("_mb", StringComparison.Ordinal)
            ? value.ToString("N0", CultureInfo.InvariantCulture)
        : value.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>JSON has no NaN: a missing or diverged figure is null.</summary>
    internal static double? Finite(double value) => double.IsFinite(value) ? value : null;

    internal static double? Finite(double? value) => value is { } v ? Finite(v) : null;

    /// <summary>The last value of every per-epoch metric, with the epoch it is from.</summary>
    internal static Dictionary<string, MetricValue> FinalValues(IEnumerable<MetricValue> metrics) =>
        metrics.Where(m => !EpochMetrics.IsPerBatch(m.Metric))
            .GroupBy(m => m.Metric)
            .ToDictionary(g => g.Key, g => g.MaxBy(m => m.Step)!);

    internal static object RunJson(RunRecord run, int epochs, double? testAccuracy, double? bestTestAccuracy) => new
    {
        id = run.Id, name = run.Name, model = run.Model, data = run.Data,
        status = StatusOf(run), recorded_status = run.Status.ToString().ToLowerInvariant(), error = run.Error,
        host = run.Host, pid = run.ProcessId, folder = run.Folder,
        started = run.Started, updated = run.Updated, finished = run.Finished,
        epochs, test_accuracy = Finite(testAccuracy), best_test_accuracy = Finite(bestTestAccuracy),
    };

    /// <summary>
    /// A run's settings as flat <c>key → value</c> pairs, nested sections as dotted keys the way
    /// <c>--set</c> and tuning parameters name them (<c>optimizer.lr</c>); lists stay JSON text.
    /// </summary>
    internal static Dictionary<string, string> ConfigEntries(string configJson)
    {
        var entries = new Dictionary<string, string>();
        void Add(string prefix, JsonElement section)
        {
            foreach (var p in section.EnumerateObject())
            {
                string key = prefix.Length == 0 ? p.Name : $"{prefix}.{p.Name}";
                switch (p.Value.ValueKind)
                {
                    case JsonValueKind.Null:
                        break;
                    case JsonValueKind.Object:
                        Add(key, p.Value);
                        break;
                    case JsonValueKind.String:
                        entries[key] = p.Value.GetString()!;
                        break;
                    default:
                        entries[key] = p.Value.GetRawText();
                        break;
                }
            }
        }
        using var document = JsonDocument.Parse(configJson);
        if (document.RootElement.ValueKind == JsonValueKind.Object) Add("", document.RootElement);
        return entries;
    }
}

/// <summary>Options of every <c>runs</c> verb: which store to read.</summary>
public abstract class RunsSettings : CommonSettings
{
    [CommandOption("--store <LOCATION>")]
    [Description("Experiment store: a SQLite file, or postgres://user:password@host:port/database (default: runs/visionlab.sqlite in the current folder).")]
    public string? Store { get; init; }

    public IExperimentStore OpenStore() => ExperimentStore.Open(Store, create: false);
}

public sealed class RunsListSettings : RunsSettings
{
    [CommandOption("-n|--limit <N>")]
    [Description("Show at most N runs, newest first.")]
    [DefaultValue(20)]
    public int Limit { get; init; } = 20;

    [CommandOption("--status <STATUS>")]
    [Description("Only runs recorded as running (lost ones included), completed, failed or killed.")]
    public string? Status { get; init; }

    [CommandOption("-m|--model <NAME>")]
    [Description("Only runs of this model.")]
    public string? Model { get; init; }
}

/// <summary>Recorded runs, newest first.</summary>
public sealed class RunsListCommand : Command<RunsListSettings>
{
    public override int Execute(CommandContext context, RunsListSettings s, CancellationToken cancellation)
    {
        RunStatus? status = null;
        if (s.Status is not null)
            status = Enum.TryParse<RunStatus>(s.Status, ignoreCase: true, out var parsed) && !int.TryParse(s.Status, out _)
                ? parsed
                : throw new VisionLabException($"--status {s.Status}: expected running, completed, failed or killed");
        using var store = s.OpenStore();
        var runs = store.ListRuns(new RunQuery(status, s.Model, s.Limit));
        if (s.Json)
        {
            JsonOutput.Write(new
            {
                store = store.Location,
                runs = runs.Select(r => RunsCommands.RunJson(r.Run, r.Epochs, r.TestAccuracy, r.BestTestAccuracy)),
            });
            return 0;
        }
        if (runs.Count == 0)
        {
            AnsiConsole.MarkupLine($"No runs{(status is null && s.Model is null ? "" : " of that kind")} in {Markup.Escape(store.Location)}.");
            return 0;
        }
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]Runs in {Markup.Escape(store.Location)}[/]");
        table.AddColumn("id");
        table.AddColumn("name");
        table.AddColumn("model");
        table.AddColumn("data");
        table.AddColumn("status");
        foreach (string column in new[] { "epochs", "test acc", "best" })
            table.AddColumn(new TableColumn(column).RightAligned());
        table.AddColumn("started");
        table.AddColumn("last update");
        bool anyLost = false;
        foreach (var r in runs)
        {
            string state = RunsCommands.StatusOf(r.Run);
            anyLost |= state == "lost";
            table.AddRow(RunsCommands.ShortId(r.Run.Id), Markup.Escape(r.Run.Name), Markup.Escape(r.Run.Model),
                Markup.Escape(Path.GetFileName(r.Run.Data.TrimEnd('/'))), RunsCommands.ColouredStatus(state), $"{r.Epochs}",
                r.TestAccuracy is { } a ? RunsCommands.Format(EpochMetrics.TestAccuracy, a) : "—",
                r.BestTestAccuracy is { } b ? RunsCommands.Format(EpochMetrics.TestAccuracy, b) : "—",
                RunsCommands.LocalTime(r.Run.Started), RunsCommands.Ago(r.Run.Updated));
        }
        AnsiConsole.Write(table);
        if (anyLost) AnsiConsole.MarkupLine(RunsCommands.LostNote);
        if (runs.Count == s.Limit) AnsiConsole.MarkupLine($"[grey]Showing the newest {s.Limit}; --limit shows more.[/]");
        return 0;
    }
}

public sealed class RunsShowSettings : RunsSettings
{
    [CommandArgument(0, "<RUN>")]
    [Description("Run id, run name (its folder's name), or the start of either.")]
    public string Run { get; init; } = "";
}

/// <summary>One run in full: where and how it ran, its settings, and its epochs.</summary>
public sealed class RunsShowCommand : Command<RunsShowSettings>
{
    public override int Execute(CommandContext context, RunsShowSettings s, CancellationToken cancellation)
    {
        using var store = s.OpenStore();
        var run = store.ResolveRun(s.Run);
        var metrics = store.Metrics(run.Id);
        var history = EpochMetrics.History(metrics);
        var final = RunsCommands.FinalValues(metrics);
        var config = RunsCommands.ConfigEntries(run.ConfigJson);
        var best = history.Where(h => !double.IsNaN(h.TestAccuracy)).MaxBy(h => h.TestAccuracy);
        if (s.Json)
        {
            using var configDocument = JsonDocument.Parse(run.ConfigJson);
            JsonOutput.Write(new
            {
                run = RunsCommands.RunJson(run, history.Count, history.Count > 0 ? history[^1].TestAccuracy : null, best?.TestAccuracy),
                config = configDocument.RootElement,
                final = final.ToDictionary(f => f.Key, f => new { step = f.Value.Step, value = RunsCommands.Finite(f.Value.Value) }),
                history = history.Select(h => new
                {
                    epoch = h.Epoch, learning_rate = RunsCommands.Finite(h.LearningRate),
                    train_loss = RunsCommands.Finite(h.TrainLoss), train_accuracy = RunsCommands.Finite(h.TrainAccuracy),
                    test_loss = RunsCommands.Finite(h.TestLoss), test_accuracy = RunsCommands.Finite(h.TestAccuracy),
                    train_seconds = RunsCommands.Finite(h.TrainSeconds), train_images_per_second = RunsCommands.Finite(h.TrainImagesPerSecond),
                    eval_seconds = RunsCommands.Finite(h.EvalSeconds), resident_memory_mb = RunsCommands.Finite(h.ResidentMemoryMb),
                }),
            });
            return 0;
        }

        string state = RunsCommands.StatusOf(run);
        var about = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        void Row(string key, string value) => about.AddRow($"[bold]{key}[/]", value);
        Row("id", run.Id);
        Row("name", Markup.Escape(run.Name));
        Row("status", RunsCommands.ColouredStatus(state) + (run.Error is null ? "" : $": {Markup.Escape(run.Error)}"));
        Row("model", Markup.Escape(run.Model));
        Row("data", Markup.Escape(run.Data));
        Row("host", $"{Markup.Escape(run.Host)} (process {run.ProcessId})");
        if (run.Folder is not null) Row("folder", Markup.Escape(run.Folder));
        Row("started", RunsCommands.LocalTime(run.Started));
        Row("last update", $"{RunsCommands.LocalTime(run.Updated)} ({RunsCommands.Ago(run.Updated)})");
        if (run.Finished is { } finished)
            Row("finished", $"{RunsCommands.LocalTime(finished)}, after {(finished - run.Started).TotalMinutes:F1} min");
        AnsiConsole.Write(new Panel(about).Header($"[bold]Run {RunsCommands.ShortId(run.Id)}[/]").Border(BoxBorder.Rounded));
        if (state == "lost") AnsiConsole.MarkupLine(RunsCommands.LostNote);

        var settings = new Table().Border(TableBorder.Rounded).Title("[bold]Settings[/]");
        settings.AddColumn("setting");
        settings.AddColumn("value");
        foreach (var (key, value) in config) settings.AddRow(Markup.Escape(key), Markup.Escape(value));
        AnsiConsole.Write(settings);

        if (history.Count == 0)
        {
            AnsiConsole.MarkupLine("No epoch has finished yet.");
            return 0;
        }
        AnsiConsole.Write(Tables.Epochs(history));
        var last = history[^1];
        AnsiConsole.MarkupLine($"Test accuracy [green bold]{RunsCommands.Format(EpochMetrics.TestAccuracy, last.TestAccuracy)}[/] after epoch {last.Epoch}" +
                               (best is null ? "" : $" (best {RunsCommands.Format(EpochMetrics.TestAccuracy, best.TestAccuracy)} at epoch {best.Epoch})"));
        return 0;
    }
}

public sealed class RunsCompareSettings : RunsSettings
{
    [CommandArgument(0, "<RUNS>")]
    [Description("Runs to compare: ids, names, or the start of either.")]
    public string[] Runs { get; init; } = [];

    [CommandOption("--metric <NAME>")]
    [Description("The metric whose curves the chart draws: test_accuracy, test_loss, train_loss, train_accuracy, learning_rate, ... or running_train_loss (every few batches).")]
    [DefaultValue(EpochMetrics.TestAccuracy)]
    public string Metric { get; init; } = EpochMetrics.TestAccuracy;

    [CommandOption("-o|--out <PNG>")]
    [Description("Write the chart of the metric's curves, one line per run, to this PNG.")]
    public string? Out { get; init; }

    public override ValidationResult Validate() =>
        Runs.Length == 0 ? ValidationResult.Error("name at least one run to compare") : ValidationResult.Success();
}

/// <summary>Runs side by side: final figures, differing settings, and a chart of one metric.</summary>
public sealed class RunsCompareCommand : Command<RunsCompareSettings>
{
    public override int Execute(CommandContext context, RunsCompareSettings s, CancellationToken cancellation)
    {
        using var store = s.OpenStore();
        var runs = s.Runs.Select(store.ResolveRun).DistinctBy(r => r.Id).ToList();
        var metrics = runs.ToDictionary(r => r.Id, r => store.Metrics(r.Id));
        var curves = runs.ToDictionary(r => r.Id, r => metrics[r.Id].Where(m => m.Metric == s.Metric).OrderBy(m => m.Step).ToList());
        if (curves.Values.All(c => c.Count == 0))
        {
            var known = metrics.Values.SelectMany(m => m).Select(m => m.Metric).Distinct().Order(StringComparer.Ordinal).ToList();
            throw new VisionLabException($"--metric {s.Metric}: none of these runs recorded it" +
                                         (known.Count == 0 ? " (they have no metrics yet)" : $"; they have {string.Join(", ", known)}"));
        }
        var finals = runs.ToDictionary(r => r.Id, r => RunsCommands.FinalValues(metrics[r.Id]));
        var configs = runs.ToDictionary(r => r.Id, r => RunsCommands.ConfigEntries(r.ConfigJson));
        // The settings worth reading are those the runs disagree on; "out" is the run folder, always different.
        var differing = configs.Values.SelectMany(c => c.Keys).Distinct()
            .Where(key => key != "out" && configs.Values.Select(c => c.GetValueOrDefault(key)).Distinct().Count() > 1)
            .ToList();

        string? chart = null;
        if (s.Out is not null)
        {
            chart = Path.GetFullPath(s.Out);
            var lines = runs.Where(r => curves[r.Id].Count > 0)
                .Select(r => new RunCurve($"{RunsCommands.ShortId(r.Id)} {r.Name}",
                    curves[r.Id].Select(m => (double)m.Step).ToArray(), curves[r.Id].Select(m => m.Value).ToArray()))
                .ToList();
            string stepName = EpochMetrics.IsPerBatch(s.Metric) ? "batch" : "epoch";
            AtomicFile.WriteAllBytes(chart, RunComparisonChart.RenderPng(lines, s.Metric, stepName, $"{s.Metric} of {lines.Count} runs"));
        }

        if (s.Json)
        {
            JsonOutput.Write(new
            {
                metric = s.Metric,
                chart,
                runs = runs.Select(r => new
                {
                    id = r.Id, name = r.Name, model = r.Model, data = r.Data, status = RunsCommands.StatusOf(r),
                    final = finals[r.Id].ToDictionary(f => f.Key, f => RunsCommands.Finite(f.Value.Value)),
                    curve = curves[r.Id].Select(m => new { step = m.Step, value = RunsCommands.Finite(m.Value) }),
                }),
                differing_settings = differing.ToDictionary(key => key, key => runs.ToDictionary(r => r.Id, r => configs[r.Id].GetValueOrDefault(key))),
            });
            return 0;
        }

        var table = new Table().Border(TableBorder.Rounded).Title("[bold]Runs compared[/]");
        table.AddColumn("");
        foreach (var r in runs) table.AddColumn(new TableColumn($"[bold]{RunsCommands.ShortId(r.Id)}[/]").RightAligned());
        void Row(string label, Func<RunRecord, string> cell) =>
            table.AddRow([label, .. runs.Select(cell)]);
        Row("name", r => Markup.Escape(r.Name));
        Row("model", r => Markup.Escape(r.Model));
        Row("data", r => Markup.Escape(Path.GetFileName(r.Data.TrimEnd('/'))));
        Row("status", r => RunsCommands.ColouredStatus(RunsCommands.StatusOf(r)));
        Row("epochs", r => $"{EpochMetrics.History(metrics[r.Id]).Count}");
        foreach (string metric in EpochMetrics.PerEpoch.Where(m => finals.Values.Any(f => f.ContainsKey(m))))
        {
            var values = runs.ToDictionary(r => r.Id, r => finals[r.Id].TryGetValue(metric, out var v) ? v.Value : double.NaN);
            // Mark the best of the figures that have a better direction: accuracy up, loss down.
            double? best = metric.EndsWith("accuracy", StringComparison.Ordinal) ? values.Values.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max()
                : metric.EndsWith("loss", StringComparison.Ordinal) ? values.Values.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Min()
                : null;
            Row(metric == s.Metric ? $"[bold]{metric}[/]" : metric, r =>
            {
                string text = RunsCommands.Format(metric, values[r.Id]);
                return runs.Count > 1 && best is { } b && values[r.Id] == b ? $"[green bold]{text}[/]" : text;
            });
        }
        if (!EpochMetrics.PerEpoch.Contains(s.Metric))
            Row($"[bold]{Markup.Escape(s.Metric)}[/] (last)", r => curves[r.Id].Count == 0 ? "—" : RunsCommands.Format(s.Metric, curves[r.Id][^1].Value));
        foreach (string key in differing)
            Row($"[yellow]{Markup.Escape(key)}[/]", r => Markup.Escape(configs[r.Id].GetValueOrDefault(key) ?? "—"));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(differing.Count == 0
            ? "The runs have the same settings."
            : "[yellow]Settings that differ[/] are listed below the figures.");
        foreach (var r in runs.Where(r => curves[r.Id].Count == 0))
            AnsiConsole.MarkupLine($"[yellow]{RunsCommands.ShortId(r.Id)} has no {Markup.Escape(s.Metric)} yet[/]; it is not on the chart.");
        AnsiConsole.MarkupLine(chart is null
            ? $"[grey]--out curves.png draws the {Markup.Escape(s.Metric)} curves.[/]"
            : $"Chart of {Markup.Escape(s.Metric)}: [link]{Markup.Escape(chart)}[/]");
        return 0;
    }
}

public sealed class RunsDeleteSettings : RunsSettings
{
    [CommandArgument(0, "<RUNS>")]
    [Description("Runs to delete: ids, names, or the start of either.")]
    public string[] Runs { get; init; } = [];

    [CommandOption("-y|--yes")]
    [Description("Delete without asking (needed when the input is not a terminal).")]
    public bool Yes { get; init; }

    [CommandOption("--files")]
    [Description("Also delete the runs' folders (checkpoints, plots) when they are on this machine.")]
    public bool Files { get; init; }

    [CommandOption("--force")]
    [Description("Delete runs recorded as running too (they may still be training somewhere).")]
    public bool Force { get; init; }

    public override ValidationResult Validate() =>
        Runs.Length == 0 ? ValidationResult.Error("name at least one run to delete") : ValidationResult.Success();
}

/// <summary>Removes runs and their metrics from the store; with --files, their folders too.</summary>
public sealed class RunsDeleteCommand : Command<RunsDeleteSettings>
{
    public override int Execute(CommandContext context, RunsDeleteSettings s, CancellationToken cancellation)
    {
        using var store = s.OpenStore();
        // Every reference is resolved before anything is deleted: one typo deletes nothing.
        var runs = s.Runs.Select(store.ResolveRun).DistinctBy(r => r.Id).ToList();
        var active = runs.FirstOrDefault(r => RunsCommands.StatusOf(r) == "running");
        if (active is not null && !s.Force)
            throw new VisionLabException(
                $"run {RunsCommands.ShortId(active.Id)} ({active.Name}) is recorded as running on {active.Host}, last heard from {RunsCommands.Ago(active.Updated)}; " +
                "stop it first, or add --force");
        string list = string.Join(", ", runs.Select(r => $"{RunsCommands.ShortId(r.Id)} ({r.Name})"));
        if (!s.Yes)
        {
            if (!AnsiConsole.Profile.Capabilities.Interactive)
                throw new VisionLabException($"deleting {list} needs --yes when the input is not a terminal");
            if (!AnsiConsole.Confirm($"Delete {runs.Count} run(s) from {Markup.Escape(store.Location)}: {Markup.Escape(list)}{(s.Files ? ", with their folders" : "")}?", false))
            {
                AnsiConsole.MarkupLine("Nothing deleted.");
                return 1;
            }
        }
        var deleted = new List<(RunRecord Run, bool FolderRemoved, string? FolderNote)>();
        foreach (var run in runs)
        {
            store.DeleteRun(run.Id);
            var (removed, note) = s.Files ? RemoveFolder(run) : (false, null);
            deleted.Add((run, removed, note));
        }
        if (s.Json)
        {
            JsonOutput.Write(new
            {
                store = store.Location,
                deleted = deleted.Select(d => new { id = d.Run.Id, name = d.Run.Name, folder = d.Run.Folder, folder_removed = d.FolderRemoved, folder_note = d.FolderNote }),
            });
            return 0;
        }
        foreach (var (run, removed, note) in deleted)
            AnsiConsole.MarkupLine($"Deleted {RunsCommands.ShortId(run.Id)} ({Markup.Escape(run.Name)})" +
                                   (removed ? $" and its folder {Markup.Escape(run.Folder!)}" : "") +
                                   (note is null ? "" : $"; [yellow]{Markup.Escape(note)}[/]"));
        return 0;
    }

    // Only a folder that is on this machine and still looks like a run folder is removed, so a
    // store shared by machines, or a folder reused for something else, loses nothing by mistake.
    private static (bool Removed, string? Note) RemoveFolder(RunRecord run)
    {
        if (run.Folder is null) return (false, "it had no folder");
        if (!string.Equals(run.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase))
            return (false, $"its folder is on {run.Host}, left in place");
        if (!Directory.Exists(run.Folder)) return (false, "its folder was already gone");
        if (!File.Exists(Path.Combine(run.Folder, "config.json")))
            return (false, $"{run.Folder} holds no config.json, so it is not treated as a run folder: left in place");
        Directory.Delete(run.Folder, recursive: true);
        return (true, null);
    }
}
