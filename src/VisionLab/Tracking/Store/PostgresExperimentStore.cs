using System.Data.Common;
using Npgsql;

namespace VisionLab.Tracking.Store;

/// <summary>
/// The store in a PostgreSQL database, for a team or several machines sharing one history.
/// Starting a trial locks the study's row (<c>SELECT ... FOR UPDATE</c>) until the new trial is
/// committed, so workers on any machine number their trials one after another; the
/// (study, number) primary key backs that up.
/// </summary>
internal sealed class PostgresExperimentStore : SqlExperimentStore
{
    // Any fixed number: the advisory lock that serialises creating the tables. ("VLST")
    private const long SchemaLockKey = 0x564C5354;

    private readonly NpgsqlDataSource source;

    public PostgresExperimentStore(PostgresLocation location) : base(location.Display)
    {
        source = NpgsqlDataSource.Create(location.ConnectionString);
        try
        {
            Upgrade();
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    protected override string TimestampType => "TIMESTAMPTZ";

    protected override DbConnection OpenConnection() => source.OpenConnection();

    // READ COMMITTED: each statement sees what other transactions committed before it, so the
    // trials read after the study's row lock is granted include the previous holder's.
    protected override DbTransaction BeginWrite(DbConnection connection) => connection.BeginTransaction();

    protected override string LockStudyRow => " FOR UPDATE";

    protected override void LockSchema(DbConnection connection, DbTransaction transaction) =>
        Execute(connection, transaction, "SELECT pg_advisory_xact_lock(@key)", ("@key", SchemaLockKey));

    protected override bool IsUniqueViolation(DbException e) =>
        e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    protected override object TimeToDb(DateTime utc) => utc;

    protected override DateTime TimeFromDb(DbDataReader reader, int ordinal) =>
        DateTime.SpecifyKind(reader.GetDateTime(ordinal), DateTimeKind.Utc);

    public override void Dispose() => source.Dispose();
}
