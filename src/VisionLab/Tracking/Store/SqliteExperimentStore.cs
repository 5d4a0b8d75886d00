using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace VisionLab.Tracking.Store;

/// <summary>
/// The store in one SQLite file: nothing to install or run, right for one machine. Several
/// processes may share the file: write-ahead logging lets readers go on while one writes, and
/// every write transaction starts with <c>BEGIN IMMEDIATE</c>, taking the file's single write
/// lock before it reads, so read-then-write steps such as starting a trial are serial.
/// Writers that find the lock taken wait up to <see cref="BusyTimeoutSeconds"/>.
/// </summary>
internal sealed class SqliteExperimentStore : SqlExperimentStore
{
    private const int BusyTimeoutSeconds = 30;

    // Fixed width, so the text sorts as the times do.
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    private readonly string connectionString;

    public SqliteExperimentStore(string path, bool create) : base(Path.GetFullPath(path))
    {
        if (Directory.Exists(Location))
            throw new VisionLabException($"--store {Location} is a folder; give the SQLite file's path");
        if (!create && !File.Exists(Location))
            throw new VisionLabException($"no run store at {Location}: no run has been recorded here yet (train one, or give --store)");
        Directory.CreateDirectory(Path.GetDirectoryName(Location)!);
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Location,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            Pooling = true,
            // The retry budget of Microsoft.Data.Sqlite's own commands (BEGIN among them) when the
            // file is locked.
            DefaultTimeout = BusyTimeoutSeconds,
        }.ToString();
        // The journal mode is a property of the file: set once, every later connection has it.
        Use(connection => Execute(connection, null, "PRAGMA journal_mode = WAL"));
        Upgrade();
    }

    protected override string TimestampType => "TEXT";

    protected override DbConnection OpenConnection()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        // Per connection: wait inside SQLite for a lock rather than fail at once; in WAL mode,
        // NORMAL sync is safe against crashes of the process and much faster than FULL.
        Execute(connection, null, $"PRAGMA busy_timeout = {BusyTimeoutSeconds * 1000}; PRAGMA synchronous = NORMAL");
        return connection;
    }

    protected override DbTransaction BeginWrite(DbConnection connection) =>
        ((SqliteConnection)connection).BeginTransaction(deferred: false);

    protected override string LockStudyRow => "";

    protected override void LockSchema(DbConnection connection, DbTransaction transaction)
    {
        // BEGIN IMMEDIATE has already locked out every other writer.
    }

    protected override bool IsUniqueViolation(DbException e) =>
        e is SqliteException { SqliteErrorCode: 19 /* SQLITE_CONSTRAINT */, SqliteExtendedErrorCode: 1555 or 2067 /* PRIMARYKEY, UNIQUE */ };

    protected override object TimeToDb(DateTime utc) => utc.ToString(TimeFormat, CultureInfo.InvariantCulture);

    protected override DateTime TimeFromDb(DbDataReader reader, int ordinal) =>
        DateTime.ParseExact(reader.GetString(ordinal), TimeFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    public override void Dispose()
    {
        // Pooled connections keep the file open; a store that is done with it lets it go.
        using var connection = new SqliteConnection(connectionString);
        SqliteConnection.ClearPool(connection);
    }
}
