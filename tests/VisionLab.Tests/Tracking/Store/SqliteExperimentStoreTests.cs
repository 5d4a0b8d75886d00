using Microsoft.Data.Sqlite;
using VisionLab.Tests.Support;
using VisionLab.Tracking.Store;

namespace VisionLab.Tests.Tracking.Store;

/// <summary>The store contract on SQLite files, plus what only the file store has: its default
/// place in the project, write-ahead logging, and a clear word when there is no file.</summary>
public sealed class SqliteExperimentStoreTests : ExperimentStoreContract, IDisposable
{
    private readonly TempFolder folder = new();
    private int stores;

    protected override string NewLocation() => folder.File($"store{Interlocked.Increment(ref stores)}.sqlite");

    protected override void ExecuteSql(string location, string sql)
    {
        using var connection = Open(location);
        using var command = new SqliteCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    protected override long ScalarSql(string location, string sql)
    {
        using var connection = Open(location);
        using var command = new SqliteCommand(sql, connection);
        return Convert.ToInt64(command.ExecuteScalar());
    }

    private static SqliteConnection Open(string location)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = location, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    public void Dispose() => folder.Dispose();

    [Fact]
    public void With_no_location_the_store_is_runs_visionlab_sqlite_in_the_current_folder()
    {
        string previous = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = folder.Path;
            using var store = ExperimentStore.Open(null);
            string expected = Path.Combine(folder.Path, "runs", "visionlab.sqlite");
            Assert.Equal(expected, store.Location);
            Assert.True(File.Exists(expected));
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }

    [Fact]
    public void The_file_uses_write_ahead_logging_so_readers_do_not_block_the_writer()
    {
        string location = NewLocation();
        ExperimentStore.Open(location).Dispose();
        using var connection = Open(location);
        using var command = new SqliteCommand("PRAGMA journal_mode", connection);
        Assert.Equal("wal", command.ExecuteScalar());
    }

    [Fact]
    public void Reading_a_store_that_was_never_written_says_where_it_looked()
    {
        string location = NewLocation();
        var missing = Assert.Throws<VisionLabException>(() => ExperimentStore.Open(location, create: false));
        Assert.Contains($"no run store at {location}", missing.Message);
        Assert.False(File.Exists(location));
        Assert.Contains("is a folder", Assert.Throws<VisionLabException>(() => ExperimentStore.Open(folder.Path)).Message);
        Assert.Contains("only postgres:// URLs and SQLite file paths",
            Assert.Throws<VisionLabException>(() => ExperimentStore.Open("mysql://root:pw@db/x")).Message);
    }

    [Fact]
    public void A_file_that_is_not_a_store_is_refused_with_its_path()
    {
        string location = folder.File("notes.sqlite");
        File.WriteAllText(location, string.Concat(Enumerable.Repeat("not the tables you are looking for. ", 20)));
        var refused = Assert.Throws<VisionLabException>(() => ExperimentStore.Open(location));
        Assert.Contains(location, refused.Message);
    }
}
