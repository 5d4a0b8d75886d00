using System.Diagnostics;
using System.Text.Json;
using VisionLab.Tests.Support;
using VisionLab.Tests.Tracking.Store;
using VisionLab.Tracking.Store;
using VisionLab.Tuning;
using Xunit.Abstractions;

namespace VisionLab.Tests.Training.Workbench;

/// <summary>
/// <c>visionlab tune</c> as a team runs it: two worker processes pointed at one PostgreSQL store
/// share a study and together run exactly the trials asked for, each once; and alone on SQLite,
/// with no server.
/// </summary>
public sealed class TuneTests(ITestOutputHelper output)
{
    private const string Experiment = """
        model: lenet5
        epochs: 2
        batch_size: 64
        train_limit: 384
        test_limit: 128
        threads: 1
        """;

    private const string Space = """
        optimizer.lr: {type: loguniform, low: 0.005, high: 0.2}
        label_smoothing: {type: uniform, low: 0.0, high: 0.2}
        """;

    [Fact]
    public async Task Two_workers_on_one_postgresql_store_complete_a_study_of_n_distinct_trials()
    {
        using var server = new PostgresTestServer();
        string url = server.NewDatabaseUrl();
        using var dir = new TempFolder();
        var (config, space) = WriteFiles(dir);
        const int trials = 6;

        var clock = Stopwatch.StartNew();
        string[] Worker(int seed) => ["tune", "--config", config, "--space", space, "--trials", $"{trials}", "--store", url,
            "--study", "shared", "--sampler", "random", "--seed", $"{seed}", "--out", dir.File("runs"), "--json"];
        using var first = CliRunner.Start(Worker(1));
        using var second = CliRunner.Start(Worker(1));
        var outputs = new[] { first, second }.Select(p => (Out: p.StandardOutput.ReadToEndAsync(), Err: p.StandardError.ReadToEndAsync())).ToList();
        foreach (var p in new[] { first, second })
            Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)), "a tune worker did not finish in 5 minutes");
        var ran = new List<int>();
        for (int i = 0; i < 2; i++)
        {
            Assert.True(new[] { first, second }[i].ExitCode == 0, await outputs[i].Err);
            ran.Add(JsonDocument.Parse(await outputs[i].Out).RootElement.GetProperty("ran").GetArrayLength());
        }
        output.WriteLine($"workers ran {ran[0]} and {ran[1]} trials in {clock.Elapsed.TotalSeconds:F0} s");

        using var store = ExperimentStore.Open(url);
        var recorded = store.Trials("shared");
        Assert.Equal(trials, recorded.Count);
        Assert.Equal(Enumerable.Range(0, trials), recorded.Select(t => t.Number).Order());
        Assert.Equal(trials, ran.Sum());
        Assert.All(recorded, t => Assert.Contains(t.State, new[] { TrialState.Complete, TrialState.Pruned }));
        Assert.All(recorded, t => Assert.NotNull(t.RunId));
        Assert.Equal(trials, recorded.Select(t => t.RunId).Distinct().Count());
        // Every trial is a run in the store, with its sampled learning rate in its config.
        foreach (var t in recorded)
        {
            var run = store.FindRun(t.RunId!)!;
            Assert.Contains(t.Parameters["optimizer.lr"], run.ConfigJson);
        }
    }

    [Fact]
    public void Sqlite_needs_no_server_and_a_larger_n_adds_only_the_difference()
    {
        using var dir = new TempFolder();
        var (config, space) = WriteFiles(dir);
        string sqlite = dir.File("study.sqlite");

        var firstRun = CliRunner.Run("tune", "--config", config, "--space", space, "--trials", "2", "--store", sqlite, "--out", dir.File("runs"), "--json");
        Assert.True(firstRun.ExitCode == 0, firstRun.Stderr);
        var more = CliRunner.Run("tune", "--config", config, "--space", space, "--trials", "3", "--store", sqlite, "--out", dir.File("runs"), "--json");
        Assert.True(more.ExitCode == 0, more.Stderr);

        using var json = JsonDocument.Parse(more.Stdout);
        Assert.Equal(1, json.RootElement.GetProperty("ran").GetArrayLength());
        using var store = ExperimentStore.Open(sqlite);
        Assert.Equal([0, 1, 2], store.Trials("exp").Select(t => t.Number).Order());
        Assert.True(Directory.Exists(Path.Combine(dir.File("runs"), "exp-trial002")));
    }

    [Fact]
    public async Task A_worker_killed_mid_trial_has_its_trial_failed_by_the_next_worker_which_completes_the_study()
    {
        using var dir = new TempFolder();
        var (config, space) = WriteFiles(dir);
        string sqlite = dir.File("study.sqlite");
        string[] Worker(params string[] extra) => ["tune", "--config", config, "--space", space, "--trials", "2", "--store", sqlite,
            "--heartbeat", "0.25", "--out", dir.File("runs"), "--json", .. extra];

        // The first worker's trial is long enough that it is surely still running when killed.
        using (var doomed = CliRunner.Start(Worker("--set", "epochs=200")))
        {
            _ = doomed.StandardOutput.ReadToEndAsync();
            _ = doomed.StandardError.ReadToEndAsync();
            bool started = SpinWait.SpinUntil(() => RunningTrialWithRun(sqlite), TimeSpan.FromMinutes(2));
            doomed.Kill(entireProcessTree: true);
            await doomed.WaitForExitAsync();
            Assert.True(started, "the first worker never started a trial with a run");
        }
        // Its heartbeats stopped with it; the grace period (4 heartbeats, 1 s) has to pass before
        // anyone may call it dead, which is the behaviour under test, so this waits it out.
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        var next = CliRunner.Run(Worker());

        Assert.True(next.ExitCode == 0, next.Stderr);
        using var json = JsonDocument.Parse(next.Stdout);
        Assert.Equal(1, json.RootElement.GetProperty("ran").GetArrayLength());
        using var store = ExperimentStore.Open(sqlite);
        var trials = store.Trials("exp");
        Assert.Equal([TrialState.Failed, TrialState.Complete], trials.Select(t => t.State));
        Assert.Contains("stopped reporting", trials[0].Message);
        var orphanRun = store.FindRun(trials[0].RunId!)!;
        Assert.Equal(RunStatus.Failed, orphanRun.Status);
        Assert.Equal(trials[0].Message, orphanRun.Error);
    }

    private static bool RunningTrialWithRun(string sqlite)
    {
        if (!File.Exists(sqlite)) return false;
        try
        {
            using var store = ExperimentStore.Open(sqlite);
            return store.Trials("exp") is [{ State: TrialState.Running, RunId: not null }];
        }
        catch (VisionLabException)
        {
            return false; // the study is not created yet
        }
    }

    [Fact]
    public void A_space_key_the_config_does_not_have_is_refused_before_any_trial()
    {
        using var dir = new TempFolder();
        var (config, _) = WriteFiles(dir);
        string space = dir.File("bad.yaml");
        File.WriteAllText(space, "optimizer.lrr: {type: uniform, low: 0.01, high: 0.1}\n");

        var result = CliRunner.Run("tune", "--config", config, "--space", space, "--trials", "2", "--store", dir.File("s.sqlite"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("optimizer.lrr", result.Stderr);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "runs")));
    }

    private static (string Config, string Space) WriteFiles(TempFolder dir)
    {
        string config = dir.File("exp.yaml"), space = dir.File("space.yaml");
        File.WriteAllText(config, Experiment);
        File.WriteAllText(space, Space);
        return (config, space);
    }
}
