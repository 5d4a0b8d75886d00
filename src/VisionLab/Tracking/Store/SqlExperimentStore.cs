using System.Data.Common;

namespace VisionLab.Tracking.Store;

/// <summary>
/// The experiment store over ADO.NET. SQLite and PostgreSQL share every statement; what differs —
/// how a write transaction takes its lock, the timestamp column, how a unique-key clash is
/// reported — is left to the two engine classes. Every call opens a pooled connection of its
/// own, so one store serves several threads, and any number of stores (processes, machines)
/// may share the same database.
/// </summary>
internal abstract partial class SqlExperimentStore(string location) : IExperimentStore
{
    public string Location { get; } = location;

    /// <summary>The column type of every timestamp (<c>{timestamp}</c> in <see cref="StoreSchema"/>).</summary>
    protected abstract string TimestampType { get; }

    protected abstract DbConnection OpenConnection();

    /// <summary>Begins a transaction that already holds the right to write, so what it reads
    /// cannot be changed by another writer before it commits.</summary>
    protected abstract DbTransaction BeginWrite(DbConnection connection);

    /// <summary>What the SELECT that finds a study in <see cref="StartTrial"/> ends with to lock
    /// the study's row until the transaction ends (nothing where <see cref="BeginWrite"/> already
    /// locks the whole database).</summary>
    protected abstract string LockStudyRow { get; }

    /// <summary>Keeps two stores opening a fresh database at once from both creating the tables.</summary>
    protected abstract void LockSchema(DbConnection connection, DbTransaction transaction);

    protected abstract bool IsUniqueViolation(DbException e);

    protected abstract object TimeToDb(DateTime utc);

    protected abstract DateTime TimeFromDb(DbDataReader reader, int ordinal);

    public abstract void Dispose();

    /// <summary>Brings the database to <see cref="StoreSchema.Version"/>; the engine classes call it
    /// once they can open connections.</summary>
    protected void Upgrade() => Use(connection =>
    {
        using var transaction = BeginWrite(connection);
        LockSchema(connection, transaction);
        Execute(connection, transaction, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        int current = Convert.ToInt32(Scalar(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM schema_version"));
        if (current > StoreSchema.Version)
            throw new VisionLabException(
                $"run store {Location} has schema version {current}, newer than this VisionLab knows ({StoreSchema.Version}); update VisionLab");
        for (int version = current; version < StoreSchema.Version; version++)
        {
            foreach (string statement in StoreSchema.Upgrades[version])
                Execute(connection, transaction, statement.Replace("{timestamp}", TimestampType));
            Execute(connection, transaction, "INSERT INTO schema_version (version) VALUES (@version)", ("@version", version + 1));
        }
        transaction.Commit();
        return current;
    });

    /// <summary>Runs <paramref name="work"/> on a connection of its own; a database error becomes a
    /// <see cref="VisionLabException"/> that names the store.</summary>
    protected T Use<T>(Func<DbConnection, T> work)
    {
        try
        {
            using var connection = OpenConnection();
            return work(connection);
        }
        catch (DbException e)
        {
            throw new VisionLabException($"run store {Location}: {e.Message.Split('\n')[0]}", e);
        }
    }

    protected void Use(Action<DbConnection> work) => Use(connection =>
    {
        work(connection);
        return 0;
    });

    protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql,
        params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    protected static int Execute(DbConnection connection, DbTransaction? transaction, string sql,
        params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    protected static object? Scalar(DbConnection connection, DbTransaction? transaction, string sql,
        params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        object? value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    protected static List<T> Query<T>(DbConnection connection, DbTransaction? transaction, string sql,
        Func<DbDataReader, T> read, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(read(reader));
        return rows;
    }

    /// <summary>A time as the database takes it: UTC whatever kind it came as.</summary>
    protected object Time(DateTime time) =>
        TimeToDb(time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc));

    protected DateTime? NullableTime(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : TimeFromDb(reader, ordinal);

    // SQLite turns NaN into NULL on its own; doing it here keeps PostgreSQL the same.
    protected static object? Number(double value) => double.IsNaN(value) ? null : value;

    protected static double NumberFrom(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? double.NaN : reader.GetDouble(ordinal);

    protected static double? NullableNumber(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);

    protected static string? NullableText(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    protected static int Integer(DbDataReader reader, int ordinal) => Convert.ToInt32(reader.GetValue(ordinal));

    protected static string Name<TEnum>(TEnum value) where TEnum : struct, Enum => value.ToString().ToLowerInvariant();

    protected static TEnum Parse<TEnum>(string text) where TEnum : struct, Enum => Enum.Parse<TEnum>(text, ignoreCase: true);
}
