using System.Diagnostics;
using System.Text.Json;
using SkiaSharp;
using VisionLab.Tests.Support;
using VisionLab.Tracking.Store;
using VisionLab.Training;

namespace VisionLab.Tests.Tracking.Store;

/// <summary>
/// <c>visionlab runs list|show|compare|delete</c> over a store holding three runs: two that
/// completed with different learning rates and one whose process died after its first epoch.
/// </summary>
public sealed class RunsCommandsTests : IDisposable
{
    private readonly TempFolder folder = new();
    private readonly string store;

    public RunsCommandsTests()
    {
        store = folder.File("store.sqlite");
        using var s = ExperimentStore.Open(store);
        // Started 3, 2 and 4 hours ago: newest first is bbbb, aaaa, cccc.
        Seed(s, "aaaa1111", "20250101-100000-lenet5", 0.05, [0.70, 0.80, 0.84], RunStatus.Completed, Environment.ProcessId, hoursAgo: 3);
        Seed(s, "bbbb2222", "20250101-110000-lenet5", 0.01, [0.60, 0.72, 0.79], RunStatus.Completed, Environment.ProcessId, hoursAgo: 2);
        Seed(s, "cccc3333", "20250101-120000-lenet5", 0.10, [0.55], RunStatus.Running, DeadProcessId(), hoursAgo: 4);
    }

    public void Dispose() => folder.Dispose();

    private void Seed(IExperimentStore s, string id, string name, double lr, double[] accuracy, RunStatus status, int pid, int hoursAgo)
    {
        string runFolder = folder.File(name);
        Directory.CreateDirectory(runFolder);
        File.WriteAllText(Path.Combine(runFolder, "config.json"), "{}");
        // Shaped like a real config.json: sections nest (optimizer.lr), the run folder is "out".
        string config = JsonSerializer.Serialize(new
        {
            model = "lenet5", epochs = 3, optimizer = new { name = "sgd", lr }, tags = new[] { "a", "b" }, @out = runFolder,
        });
        s.CreateRun(new NewRun(id, name, "lenet5", "fashion-mnist", config, runFolder, Environment.MachineName, pid,
            DateTime.UtcNow.AddHours(-hoursAgo)));
        for (int e = 0; e < accuracy.Length; e++)
            s.AppendMetrics(id, EpochMetrics.From(new EpochResult(e + 1, lr, 1.0 - accuracy[e], accuracy[e] - 0.02, 1.1 - accuracy[e],
                accuracy[e], 10, 5000, 1, 600), DateTime.UtcNow));
        if (status != RunStatus.Running) s.FinishRun(id, status);
    }

    private static int DeadProcessId()
    {
        using var exited = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        exited.WaitForExit();
        return exited.Id;
    }

    private static string Percent(double value) => value.ToString("P2", System.Globalization.CultureInfo.InvariantCulture);

    private static JsonElement Json(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        return JsonDocument.Parse(result.Stdout).RootElement;
    }

    [Fact]
    public void List_shows_every_run_newest_first_and_calls_the_dead_one_lost()
    {
        var json = Json(RunsCli.Run("runs", "list", "--store", store, "--json"));
        var runs = json.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(["bbbb2222", "aaaa1111", "cccc3333"], runs.Select(r => r.GetProperty("id").GetString()));
        Assert.Equal(["completed", "completed", "lost"], runs.Select(r => r.GetProperty("status").GetString()));
        Assert.Equal("running", runs[2].GetProperty("recorded_status").GetString());
        Assert.Equal([3, 3, 1], runs.Select(r => r.GetProperty("epochs").GetInt32()));
        Assert.Equal(0.84, runs[1].GetProperty("test_accuracy").GetDouble());

        var table = RunsCli.Run("runs", "list", "--store", store);
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("cccc3333", table.Stdout);
        Assert.Contains("lost", table.Stdout);
        Assert.Contains("the process that trained it on this machine is gone", table.Stdout);
        Assert.Contains(Percent(0.84), table.Stdout);

        var limited = Json(RunsCli.Run("runs", "list", "--store", store, "--json", "--limit", "1", "--status", "completed"));
        Assert.Equal("bbbb2222", limited.GetProperty("runs")[0].GetProperty("id").GetString());
        Assert.Equal(1, limited.GetProperty("runs").GetArrayLength());
        Assert.Contains("--status paused", RunsCli.Run("runs", "list", "--store", store, "--status", "paused").Stderr);
    }

    [Fact]
    public void Show_gives_the_settings_and_every_epoch_of_a_run_named_by_a_prefix()
    {
        var json = Json(RunsCli.Run("runs", "show", "aaaa", "--store", store, "--json"));
        Assert.Equal("aaaa1111", json.GetProperty("run").GetProperty("id").GetString());
        Assert.Equal(0.05, json.GetProperty("config").GetProperty("optimizer").GetProperty("lr").GetDouble());
        var history = json.GetProperty("history");
        Assert.Equal(3, history.GetArrayLength());
        Assert.Equal(0.84, history[2].GetProperty("test_accuracy").GetDouble());
        Assert.Equal(0.84, json.GetProperty("final").GetProperty("test_accuracy").GetProperty("value").GetDouble());

        var byName = RunsCli.Run("runs", "show", "20250101-12", "--store", store);
        Assert.Equal(0, byName.ExitCode);
        Assert.Contains("optimizer.lr", byName.Stdout);
        Assert.Contains("""["a","b"]""", byName.Stdout);
        Assert.Contains("cccc3333", byName.Stdout);
        Assert.Contains("lost", byName.Stdout);
        Assert.Contains("Training summary", byName.Stdout);

        var ambiguous = RunsCli.Run("runs", "show", "2025", "--store", store);
        Assert.Equal(1, ambiguous.ExitCode);
        Assert.Contains("could be any of these runs", ambiguous.Stderr);
    }

    [Fact]
    public void Compare_puts_final_figures_and_differing_settings_side_by_side_and_draws_the_curves()
    {
        string png = folder.File("curves.png");
        var json = Json(RunsCli.Run("runs", "compare", "aaaa", "bbbb", "cccc", "--metric", "test_loss", "--out", png, "--store", store, "--json"));
        Assert.Equal(png, json.GetProperty("chart").GetString());
        var runs = json.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal([3, 3, 1], runs.Select(r => r.GetProperty("curve").GetArrayLength()));
        Assert.Equal(1.1 - 0.79, runs[1].GetProperty("final").GetProperty("test_loss").GetDouble(), 12);
        var lr = json.GetProperty("differing_settings").GetProperty("optimizer.lr");
        Assert.Equal("0.05", lr.GetProperty("aaaa1111").GetString());
        Assert.Equal("0.01", lr.GetProperty("bbbb2222").GetString());
        Assert.False(json.GetProperty("differing_settings").TryGetProperty("out", out _), "the run folder always differs: not a setting");
        Assert.False(json.GetProperty("differing_settings").TryGetProperty("epochs", out _));
        using (var bitmap = SKBitmap.Decode(png))
            Assert.True(bitmap is { Width: 960, Height: 540 }, "the chart is not a readable 960×540 PNG");

        var table = RunsCli.Run("runs", "compare", "aaaa", "bbbb", "--store", store);
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("optimizer.lr", table.Stdout);
        Assert.Contains(Percent(0.84), table.Stdout);
        Assert.Contains(Percent(0.79), table.Stdout);

        var unknown = RunsCli.Run("runs", "compare", "aaaa", "bbbb", "--metric", "f1", "--store", store);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("--metric f1: none of these runs recorded it; they have", unknown.Stderr);
    }

    [Fact]
    public void Delete_asks_for_yes_then_removes_the_run_and_with_files_its_folder()
    {
        var unconfirmed = RunsCli.Run("runs", "delete", "aaaa", "--store", store);
        Assert.Equal(1, unconfirmed.ExitCode);
        Assert.Contains("needs --yes", unconfirmed.Stderr);

        var json = Json(RunsCli.Run("runs", "delete", "aaaa", "bbbb2222", "--yes", "--files", "--store", store, "--json"));
        Assert.Equal(["aaaa1111", "bbbb2222"], json.GetProperty("deleted").EnumerateArray().Select(d => d.GetProperty("id").GetString()));
        Assert.All(json.GetProperty("deleted").EnumerateArray(), d => Assert.True(d.GetProperty("folder_removed").GetBoolean()));
        Assert.False(Directory.Exists(folder.File("20250101-100000-lenet5")));

        // The lost run is not running any more, so it needs no --force; a typo deletes nothing.
        var typo = RunsCli.Run("runs", "delete", "cccc", "zzzz", "--yes", "--store", store);
        Assert.Equal(1, typo.ExitCode);
        Assert.Contains("no run 'zzzz'", typo.Stderr);
        using var s = ExperimentStore.Open(store);
        Assert.Equal(["cccc3333"], s.ListRuns(new RunQuery()).Select(r => r.Run.Id));
        Assert.True(Directory.Exists(folder.File("20250101-120000-lenet5")), "without --files the folder stays");
    }

    [Fact]
    public void A_run_still_running_is_only_deleted_with_force()
    {
        using (var s = ExperimentStore.Open(store))
            s.CreateRun(new NewRun("dddd4444", "live", "lenet5", "fashion-mnist", "{}", null, Environment.MachineName,
                Environment.ProcessId, DateTime.UtcNow));
        var refused = RunsCli.Run("runs", "delete", "dddd", "--yes", "--store", store);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("is recorded as running", refused.Stderr);
        Assert.Equal(0, RunsCli.Run("runs", "delete", "dddd", "--yes", "--force", "--store", store).ExitCode);
    }

    [Fact]
    public void A_store_that_does_not_exist_is_reported_not_created()
    {
        string missing = folder.File("nowhere.sqlite");
        var result = RunsCli.Run("runs", "list", "--store", missing);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"no run store at {missing}", result.Stderr);
        Assert.False(File.Exists(missing));
    }
}
