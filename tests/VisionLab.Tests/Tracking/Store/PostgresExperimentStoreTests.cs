using Npgsql;
using VisionLab.Tracking.Store;

namespace VisionLab.Tests.Tracking.Store;

/// <summary>The store contract on PostgreSQL: a private server for this class, a fresh database
/// for each test.</summary>
public sealed class PostgresExperimentStoreTests(PostgresTestServer server) : ExperimentStoreContract, IClassFixture<PostgresTestServer>
{
    protected override string NewLocation() => server.NewDatabaseUrl();

    protected override void ExecuteSql(string location, string sql)
    {
        using var connection = Open(location);
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    protected override long ScalarSql(string location, string sql)
    {
        using var connection = Open(location);
        using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(command.ExecuteScalar());
    }

    private NpgsqlConnection Open(string url)
    {
        var connection = new NpgsqlConnection(server.ConnectionString(new Uri(url).AbsolutePath.TrimStart('/')));
        connection.Open();
        return connection;
    }

    [Fact]
    public void The_store_shows_its_url_without_the_password()
    {
        string url = NewLocation();
        using var store = ExperimentStore.Open(url);
        Assert.DoesNotContain(PostgresTestServer.Password, store.Location);
        Assert.Equal(url.Replace(PostgresTestServer.Password, "***"), store.Location);
        Assert.Contains("no run 'x'", Assert.Throws<VisionLabException>(() => store.ResolveRun("x")).Message);
    }

    [Fact]
    public void The_runs_verbs_work_on_postgres_and_never_print_the_password()
    {
        string url = NewLocation();
        using (var store = ExperimentStore.Open(url))
        {
            store.CreateRun(new NewRun("pg0001", "20250101-100000-lenet5", "lenet5", "fashion-mnist", "{}", null,
                Environment.MachineName, Environment.ProcessId, DateTime.UtcNow));
            store.AppendMetrics("pg0001", EpochMetrics.From(new VisionLab.Training.EpochResult(1, 0.05, 0.6, 0.8, 0.5, 0.82, 1, 1, 1, 1), DateTime.UtcNow));
            store.FinishRun("pg0001", RunStatus.Completed);
        }
        var json = RunsCli.Run("runs", "list", "--store", url, "--json");
        Assert.True(json.ExitCode == 0, json.Stderr);
        Assert.Contains("\"pg0001\"", json.Stdout);
        var table = RunsCli.Run("runs", "show", "pg", "--store", url);
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains("20250101-100000-lenet5", table.Stdout);
        var missing = RunsCli.Run("runs", "show", "nope", "--store", url);
        Assert.Equal(1, missing.ExitCode);
        foreach (var output in new[] { json.Stdout, table.Stdout, missing.Stderr })
            Assert.DoesNotContain(PostgresTestServer.Password, output);
        Assert.Contains(":***@127.0.0.1", json.Stdout + missing.Stderr);
    }

    [Fact]
    public void Timestamps_are_stored_as_timestamptz()
    {
        string url = NewLocation();
        ExperimentStore.Open(url).Dispose();
        using var connection = Open(url);
        using var command = new NpgsqlCommand(
            "SELECT data_type FROM information_schema.columns WHERE table_name = 'runs' AND column_name = 'started'", connection);
        Assert.Equal("timestamp with time zone", command.ExecuteScalar());
    }
}
