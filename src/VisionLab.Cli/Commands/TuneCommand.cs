using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Cli.Rendering;
using VisionLab.Tracking.Store;
using VisionLab.Training;
using VisionLab.Tuning;

namespace VisionLab.Cli.Commands;

public sealed class TuneSettings : CommonSettings
{
    [CommandOption("--config <FILE>")]
    [Description("Experiment YAML file every trial starts from (configs/ has recipes).")]
    public string Config { get; init; } = "";

    [CommandOption("--space <FILE>")]
    [Description("Search space YAML: config keys and their ranges, e.g. optimizer.lr: {type: loguniform, low: 1e-4, high: 0.3} (configs/tune_space.yaml).")]
    public string Space { get; init; } = "";

    [CommandOption("-n|--trials <N>")]
    [Description("Trials the study should hold in all, counting every worker's: a second worker on the same --store and --study shares them.")]
    public int Trials { get; init; }

    [CommandOption("--sampler <NAME>")]
    [Description("tpe (Bergstra et al. 2011; random for the first 10 trials) or random.")]
    [DefaultValue("tpe")]
    public string Sampler { get; init; } = "tpe";

    [CommandOption("--pruner <NAME>")]
    [Description("median (stop a trial whose best test accuracy so far is below the median of completed trials at that epoch) or none.")]
    [DefaultValue("median")]
    public string Pruner { get; init; } = "median";

    [CommandOption("--study <NAME>")]
    [Description("Study name in the store (default: the config file's name).")]
    public string? Study { get; init; }

    [CommandOption("--store <LOCATION>")]
    [Description("Experiment store holding the study and the trials' runs: a SQLite file, or postgres://user:password@host:port/database for workers on several machines (default: runs/visionlab.sqlite).")]
    public string? Store { get; init; }

    [CommandOption("--seed <N>")]
    [Description("Sampler seed: a trial's parameters depend on it, the trial's number and the trials before it.")]
    [DefaultValue(0)]
    public int Seed { get; init; }

    [CommandOption("--set <KEY=VALUE>")]
    [Description("Override a config key for every trial (repeatable); the search space's keys win.")]
    public string[] Set { get; init; } = [];

    [CommandOption("--heartbeat <SECONDS>")]
    [Description("How often a running trial's worker records that it is alive. A trial whose worker is silent for 4 heartbeats (killed, crashed) is marked failed by the next worker to start a trial.")]
    [DefaultValue(30.0)]
    public double HeartbeatSeconds { get; init; } = 30;

    [CommandOption("-o|--out <DIR>")]
    [Description("Folder of the trials' run folders, <study>-trial<N> (default: runs).")]
    [DefaultValue("runs")]
    public string Out { get; init; } = "runs";

    public override ValidationResult Validate() =>
        Config == "" ? ValidationResult.Error("--config is required")
        : Space == "" ? ValidationResult.Error("--space is required")
        : Trials < 1 ? ValidationResult.Error("--trials N (at least 1) is required")
        : !(HeartbeatSeconds > 0) ? ValidationResult.Error($"--heartbeat {HeartbeatSeconds} must be a positive number of seconds")
        : ValidationResult.Success();
}

/// <summary>
/// <c>visionlab tune</c>: a worker of a hyper-parameter study. Each trial is a training run of the
/// config with the sampler's choice of the space's keys, recorded in the store like any run; its
/// test accuracy after each epoch goes to the pruner, its best test accuracy is the objective.
/// </summary>
public sealed class TuneCommand : Command<TuneSettings>
{
    public override int Execute(CommandContext context, TuneSettings s, CancellationToken cancellation)
    {
        var space = SearchSpace.Load(s.Space);
        var sampler = Samplers.Create(s.Sampler, s.Seed);
        var pruner = Pruners.Create(s.Pruner);
        // The config with a sample of the space is checked before the first trial: a key that is
        // not a config key, or a range no run could use, fails here rather than as N failed trials.
        var sample = new RandomSampler(s.Seed).Propose(space, StudyDirection.Maximize, []);
        ExperimentConfig.Load(s.Config, [.. s.Set, .. sample.Select(p => $"{p.Key}={p.Value}")]).Validate();
        string study = s.Study ?? Path.GetFileNameWithoutExtension(s.Config);
        using var store = ExperimentStore.Open(s.Store);
        var tuner = new Tuner(store, study, StudyDirection.Maximize, space, sampler, pruner)
        {
            HeartbeatInterval = TimeSpan.FromSeconds(s.HeartbeatSeconds),
            GracePeriod = TimeSpan.FromSeconds(4 * s.HeartbeatSeconds),
        };

        if (!s.Json)
        {
            AnsiConsole.MarkupLine($"Study [bold]{Markup.Escape(study)}[/]: {s.Trials} trials of {Markup.Escape(s.Config)} over " +
                                   $"{string.Join(", ", space.Parameters.Select(p => Markup.Escape(p.Key)))}, {s.Sampler} sampler, {s.Pruner} pruning");
            tuner.TrialStarted += t => AnsiConsole.MarkupLine($"[dim]trial {t.Number}: {Markup.Escape(Overrides(t.Parameters))}[/]");
            tuner.TrialFinished += o => AnsiConsole.MarkupLine($"trial {o.Number} [bold]{o.State.ToString().ToLowerInvariant()}[/]" +
                (o.Value is double v ? $", test accuracy {v:P2}" : "") + (o.Error is null ? "" : $": {Markup.Escape(o.Error)}"));
            tuner.StaleTrialFailed += t => AnsiConsole.MarkupLine(
                $"[yellow]trial {t.Number} marked failed: {Markup.Escape(t.Message ?? "")}[/]");
        }

        var mine = tuner.Run(s.Trials, (trial, reporter, token) =>
        {
            var config = ExperimentConfig.Load(s.Config, [.. s.Set, .. trial.Parameters.Select(p => $"{p.Key}={p.Value}")]) with
            {
                Out = Path.GetFullPath(Path.Combine(s.Out, $"{study}-trial{trial.Number:D3}")),
            };
            var outcome = TrainingJob.Run(config.Validate(), [new PruningReporter(reporter)], token, store, reporter.AttachRun);
            return outcome.Metrics.BestTestAccuracy;
        }, cancellation);

        var trials = store.Trials(study);
        var best = TrialRanking.Best(trials, StudyDirection.Maximize);
        if (s.Json)
        {
            JsonOutput.Write(new { study, ran = mine, trials, best });
            return 0;
        }
        var table = new Table().Border(TableBorder.Rounded).Title($"Study {Markup.Escape(study)}: {trials.Count} trials");
        bool anyFailed = trials.Any(t => t.Message is not null);
        foreach (string column in new[] { "trial", "state", "best test accuracy", "epochs", "parameters" }.Concat(anyFailed ? ["why it failed"] : []))
            table.AddColumn(column is "best test accuracy" or "epochs" ? new TableColumn(column).RightAligned() : new TableColumn(column));
        foreach (var t in trials.OrderByDescending(t => t.Value ?? double.NegativeInfinity))
        {
            string mark = t.Number == best?.Number ? "[green bold]" : "[default]";
            string[] cells = [$"{mark}{t.Number}[/]", t.State.ToString().ToLowerInvariant(), t.Value is double v ? $"{v:P2}" : "",
                $"{t.Intermediate.Count}", Markup.Escape(Overrides(t.Parameters))];
            table.AddRow(anyFailed ? [.. cells, Markup.Escape(t.Message ?? "")] : cells);
        }
        AnsiConsole.Write(table);
        if (best is not null)
            AnsiConsole.MarkupLine($"Best: trial {best.Number}, {best.Value:P2}. Repeat it with: visionlab train --config {Markup.Escape(s.Config)} " +
                                   Markup.Escape(string.Join(' ', best.Parameters.Select(p => $"--set {p.Key}={p.Value}"))));
        return 0;
    }

    private static string Overrides(IReadOnlyDictionary<string, string> parameters) =>
        string.Join(", ", parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p =>
            double.TryParse(p.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && p.Value.Contains('.')
                ? $"{p.Key}={x.ToString("G4", CultureInfo.InvariantCulture)}" : $"{p.Key}={p.Value}"));

    /// <summary>Reports each epoch's test accuracy to the study and stops a trial the pruner gives up on.</summary>
    private sealed class PruningReporter(TrialReporter reporter) : ITrainerCallback
    {
        public void OnEpochEnd(Trainer trainer, EpochResult result, EvaluationResult evaluation)
        {
            if (reporter.Report(result.TestAccuracy)) throw reporter.Prune();
        }
    }
}
