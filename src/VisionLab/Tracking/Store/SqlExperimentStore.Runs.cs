using System.Data.Common;
using System.Globalization;

namespace VisionLab.Tracking.Store;

// Runs and their metrics.
internal abstract partial class SqlExperimentStore
{
    private const string RunColumns =
        "r.id, r.name, r.model, r.data, r.config, r.folder, r.host, r.pid, r.status, r.error, r.started, r.updated, r.finished";

    public void CreateRun(NewRun run) => Use(connection =>
    {
        try
        {
            Execute(connection, null,
                "INSERT INTO runs (id, name, model, data, config, folder, host, pid, status, started, updated) " +
                "VALUES (@id, @name, @model, @data, @config, @folder, @host, @pid, @status, @started, @started)",
                ("@id", run.Id), ("@name", run.Name), ("@model", run.Model), ("@data", run.Data), ("@config", run.ConfigJson),
                ("@folder", run.Folder), ("@host", run.Host), ("@pid", run.ProcessId), ("@status", Name(RunStatus.Running)),
                ("@started", Time(run.Started)));
        }
        catch (DbException e) when (IsUniqueViolation(e))
        {
            throw new VisionLabException($"run store {Location} already holds a run with id {run.Id}");
        }
    });

    public void AppendMetrics(string runId, IReadOnlyList<MetricValue> values) => Use(connection =>
    {
        using var transaction = BeginWrite(connection);
        if (Execute(connection, transaction, "UPDATE runs SET updated = @now WHERE id = @id",
                ("@now", Time(DateTime.UtcNow)), ("@id", runId)) == 0)
            throw MissingRun(runId);
        // One command, its parameters refilled per row: the statement is parsed once.
        using var insert = Command(connection, transaction,
            "INSERT INTO metrics (run_id, metric, step, value, recorded) VALUES (@run, @metric, @step, @value, @recorded) " +
            "ON CONFLICT (run_id, metric, step) DO UPDATE SET value = excluded.value, recorded = excluded.recorded",
            ("@run", runId), ("@metric", null), ("@step", null), ("@value", null), ("@recorded", null));
        foreach (var m in values)
        {
            insert.Parameters[1].Value = m.Metric;
            insert.Parameters[2].Value = m.Step;
            insert.Parameters[3].Value = Number(m.Value) ?? DBNull.Value;
            insert.Parameters[4].Value = Time(m.Recorded);
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
    });

    public void ResumeRun(string runId, string configJson, string host, int processId) => Use(connection =>
    {
        if (Execute(connection, null,
                "UPDATE runs SET status = @status, error = NULL, finished = NULL, config = @config, host = @host, pid = @pid, updated = @now " +
                "WHERE id = @id",
                ("@status", Name(RunStatus.Running)), ("@config", configJson), ("@host", host), ("@pid", processId),
                ("@now", Time(DateTime.UtcNow)), ("@id", runId)) == 0)
            throw MissingRun(runId);
    });

    public void FinishRun(string runId, RunStatus status, string? error = null)
    {
        if (status == RunStatus.Running) throw new ArgumentException("a run finishes as completed, failed or killed", nameof(status));
        Use(connection =>
        {
            var now = Time(DateTime.UtcNow);
            if (Execute(connection, null, "UPDATE runs SET status = @status, error = @error, finished = @now, updated = @now WHERE id = @id",
                    ("@status", Name(status)), ("@error", error), ("@now", now), ("@id", runId)) == 0)
                throw MissingRun(runId);
        });
    }

    public IReadOnlyList<RunSummary> ListRuns(RunQuery query)
    {
        if (query.Limit < 1) throw new VisionLabException($"--limit {query.Limit} must be at least 1");
        var filters = new List<string>();
        var parameters = new List<(string, object?)> { ("@accuracy", EpochMetrics.TestAccuracy), ("@limit", query.Limit) };
        if (query.Status is { } status)
        {
            filters.Add("r.status = @status");
            parameters.Add(("@status", Name(status)));
        }
        if (query.Model is { } model)
        {
            filters.Add("r.model = @model");
            parameters.Add(("@model", model));
        }
        if (query.Folder is { } folder)
        {
            filters.Add("r.folder = @folder");
            parameters.Add(("@folder", folder));
        }
        string where = filters.Count == 0 ? "" : "WHERE " + string.Join(" AND ", filters);
        string sql =
            $"SELECT {RunColumns}, " +
            "(SELECT MAX(m.step) FROM metrics m WHERE m.run_id = r.id AND m.metric = @accuracy), " +
            "(SELECT m.value FROM metrics m WHERE m.run_id = r.id AND m.metric = @accuracy ORDER BY m.step DESC LIMIT 1), " +
            "(SELECT MAX(m.value) FROM metrics m WHERE m.run_id = r.id AND m.metric = @accuracy) " +
            $"FROM runs r {where} ORDER BY r.started DESC, r.id LIMIT @limit";
        return Use(connection => Query(connection, null, sql, reader => new RunSummary(ReadRun(reader),
            reader.IsDBNull(13) ? 0 : Integer(reader, 13), NullableNumber(reader, 14), NullableNumber(reader, 15)), [.. parameters]));
    }

    public RunRecord? FindRun(string runId) => Use(connection =>
        Query(connection, null, $"SELECT {RunColumns} FROM runs r WHERE r.id = @id", ReadRun, ("@id", runId)).SingleOrDefault());

    public RunRecord ResolveRun(string reference)
    {
        if (string.IsNullOrWhiteSpace(reference)) throw new VisionLabException("give a run id, a run name, or the start of either");
        return Use(connection =>
        {
            var exact = Query(connection, null, $"SELECT {RunColumns} FROM runs r WHERE r.id = @ref OR r.name = @ref",
                ReadRun, ("@ref", reference));
            var byId = exact.FirstOrDefault(r => r.Id == reference);
            if (byId is not null) return byId;
            if (exact.Count == 1) return exact[0];
            if (exact.Count > 1) throw Ambiguous(reference, exact);
            // Not LIKE: an id or name may hold '%' or '_', and SQLite's LIKE ignores case.
            var prefixed = Query(connection, null,
                $"SELECT {RunColumns} FROM runs r WHERE substr(r.id, 1, @length) = @ref OR substr(r.name, 1, @length) = @ref " +
                "ORDER BY r.started DESC LIMIT 6", ReadRun, ("@ref", reference), ("@length", reference.Length));
            return prefixed.Count switch
            {
                1 => prefixed[0],
                0 => throw new VisionLabException($"no run '{reference}' in {Location}; 'visionlab runs list' shows the runs there"),
                _ => throw Ambiguous(reference, prefixed),
            };
        });
    }

    public IReadOnlyList<MetricValue> Metrics(string runId, string? metric = null) => Use(connection =>
        Query(connection, null,
            "SELECT metric, step, value, recorded FROM metrics WHERE run_id = @id" +
            (metric is null ? "" : " AND metric = @metric") + " ORDER BY metric, step",
            reader => new MetricValue(reader.GetString(0), Integer(reader, 1), NumberFrom(reader, 2), TimeFromDb(reader, 3)),
            metric is null ? [("@id", runId)] : [("@id", runId), ("@metric", metric)]));

    public bool DeleteRun(string runId) => Use(connection =>
    {
        using var transaction = BeginWrite(connection);
        Execute(connection, transaction, "UPDATE trials SET run_id = NULL WHERE run_id = @id", ("@id", runId));
        Execute(connection, transaction, "DELETE FROM metrics WHERE run_id = @id", ("@id", runId));
        bool deleted = Execute(connection, transaction, "DELETE FROM runs WHERE id = @id", ("@id", runId)) > 0;
        transaction.Commit();
        return deleted;
    });

    private RunRecord ReadRun(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), NullableText(r, 5),
        r.GetString(6), Integer(r, 7), Parse<RunStatus>(r.GetString(8)), NullableText(r, 9),
        TimeFromDb(r, 10), TimeFromDb(r, 11), NullableTime(r, 12));

    private VisionLabException MissingRun(string runId) =>
        new($"run {runId} is not in {Location} (was it deleted?)");

    private static VisionLabException Ambiguous(string reference, IEnumerable<RunRecord> runs) =>
        new($"'{reference}' could be any of these runs: " +
            string.Join(", ", runs.Select(r => $"{r.Id[..Math.Min(12, r.Id.Length)]} ({r.Name}, started {r.Started.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)})")) +
            "; give more of the id");
}
