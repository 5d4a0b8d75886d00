using System.Data.Common;
using System.Text.Json;
using VisionLab.Tuning;

namespace VisionLab.Tracking.Store;

// Tuning studies and their trials (IStudyStorage).
internal abstract partial class SqlExperimentStore
{
    // A unique-key clash in StartTrial means the locks failed to serialise two workers; trying
    // again with a fresh read is then still correct, and a few attempts are plenty.
    private const int StartTrialAttempts = 5;

    public void EnsureStudy(string study, StudyDirection direction, string spaceJson)
    {
        RequireName(study);
        Use(connection =>
        {
            Execute(connection, null,
                "INSERT INTO studies (name, direction, space, created) VALUES (@name, @direction, @space, @created) " +
                "ON CONFLICT (name) DO NOTHING",
                ("@name", study), ("@direction", Name(direction)), ("@space", spaceJson), ("@created", Time(DateTime.UtcNow)));
            var (storedDirection, storedSpace) = Query(connection, null, "SELECT direction, space FROM studies WHERE name = @name",
                r => (Parse<StudyDirection>(r.GetString(0)), r.GetString(1)), ("@name", study)).Single();
            if (storedDirection != direction)
                throw new VisionLabException(
                    $"study '{study}' in {Location} was created to {Name(storedDirection)}, not {Name(direction)}; use another study name");
            if (storedSpace != spaceJson)
                throw new VisionLabException(
                    $"study '{study}' in {Location} was created with a different search space ({storedSpace}); use another study name, or that space");
        });
    }

    public TrialRecord StartTrial(string study, Func<IReadOnlyList<TrialRecord>, IReadOnlyDictionary<string, string>> propose) =>
        Use(connection =>
        {
            for (int attempt = 1; ; attempt++)
            {
                using var transaction = BeginWrite(connection);
                // Holding the study's row (PostgreSQL) or the database's write lock (SQLite) from
                // here to the commit makes read, propose and insert one step: the next worker
                // waits, then reads a list that includes this trial.
                if (Scalar(connection, transaction, "SELECT name FROM studies WHERE name = @study" + LockStudyRow, ("@study", study)) is null)
                    throw MissingStudy(study);
                var trials = ReadTrials(connection, transaction, study);
                var parameters = new Dictionary<string, string>(propose(trials));
                var now = DateTime.UtcNow;
                int number = trials.Count == 0 ? 0 : trials[^1].Number + 1;
                try
                {
                    Execute(connection, transaction,
                        "INSERT INTO trials (study, number, state, params, started, heartbeat) " +
                        "VALUES (@study, @number, @state, @params, @started, @started)",
                        ("@study", study), ("@number", number), ("@state", Name(TrialState.Running)),
                        ("@params", JsonSerializer.Serialize(parameters)), ("@started", Time(now)));
                    transaction.Commit();
                    return new TrialRecord(number, TrialState.Running, parameters, null, [], Heartbeat: now);
                }
                catch (DbException e) when (IsUniqueViolation(e) && attempt < StartTrialAttempts)
                {
                    transaction.Rollback();
                }
            }
        });

    public void ReportIntermediate(string study, int trial, double value) => Use(connection =>
    {
        using var transaction = BeginWrite(connection);
        RequireRunning(connection, transaction, study, trial);
        int step = Convert.ToInt32(Scalar(connection, transaction,
            "SELECT COALESCE(MAX(step), 0) + 1 FROM trial_intermediates WHERE study = @study AND number = @number",
            ("@study", study), ("@number", trial)));
        Execute(connection, transaction,
            "INSERT INTO trial_intermediates (study, number, step, value) VALUES (@study, @number, @step, @value)",
            ("@study", study), ("@number", trial), ("@step", step), ("@value", Number(value)));
        transaction.Commit();
    });

    public void AttachRun(string study, int trial, string runId) => Use(connection =>
    {
        if (Execute(connection, null, "UPDATE trials SET run_id = @run WHERE study = @study AND number = @number",
                ("@run", runId), ("@study", study), ("@number", trial)) == 0)
            throw MissingTrial(study, trial);
    });

    public void FinishTrial(string study, int trial, TrialState state, double? value, string? message = null)
    {
        if (state == TrialState.Running)
            throw new ArgumentException("a trial finishes as complete, pruned or failed", nameof(state));
        if (state == TrialState.Complete && (value is null || double.IsNaN(value.Value)))
            throw new VisionLabException($"trial {trial} of study '{study}' cannot complete without an objective value");
        Use(connection =>
        {
            using var transaction = BeginWrite(connection);
            RequireRunning(connection, transaction, study, trial);
            Execute(connection, transaction,
                "UPDATE trials SET state = @state, value = @value, message = @message, finished = @finished WHERE study = @study AND number = @number",
                ("@state", Name(state)), ("@value", value is { } v ? Number(v) : null), ("@message", message),
                ("@finished", Time(DateTime.UtcNow)), ("@study", study), ("@number", trial));
            transaction.Commit();
        });
    }

    public void RecordHeartbeat(string study, int trial) => Use(connection =>
    {
        if (Execute(connection, null,
                "UPDATE trials SET heartbeat = @now WHERE study = @study AND number = @number AND state = @running",
                ("@now", Time(DateTime.UtcNow)), ("@study", study), ("@number", trial), ("@running", Name(TrialState.Running))) == 0
            && Scalar(connection, null, "SELECT state FROM trials WHERE study = @study AND number = @number",
                ("@study", study), ("@number", trial)) is null)
            throw MissingTrial(study, trial);
    });

    public IReadOnlyList<TrialRecord> FailStaleTrials(string study, DateTime silentSince) => Use(connection =>
    {
        using var transaction = BeginWrite(connection);
        if (Scalar(connection, transaction, "SELECT name FROM studies WHERE name = @study" + LockStudyRow, ("@study", study)) is null)
            throw MissingStudy(study);
        // Only the silent trials' numbers and runs are needed here, not every trial's history.
        var silent = Query(connection, transaction,
            "SELECT number FROM trials WHERE study = @study AND state = @running AND COALESCE(heartbeat, started) < @since",
            r => Integer(r, 0), ("@study", study), ("@running", Name(TrialState.Running)), ("@since", Time(silentSince))).ToHashSet();
        var stale = silent.Count == 0 ? [] : ReadTrials(connection, transaction, study).Where(t => silent.Contains(t.Number)).ToList();
        var failed = new List<TrialRecord>();
        var now = DateTime.UtcNow;
        foreach (var trial in stale)
        {
            string message = $"its worker stopped reporting (last heard from {trial.Heartbeat:yyyy-MM-dd HH:mm:ss} UTC): killed, crashed or cut off";
            Execute(connection, transaction,
                "UPDATE trials SET state = @failed, message = @message, finished = @now WHERE study = @study AND number = @number",
                ("@failed", Name(TrialState.Failed)), ("@message", message), ("@now", Time(now)), ("@study", study), ("@number", trial.Number));
            // The trial's training run stopped with its worker; the run store says so too.
            if (trial.RunId is { } run)
                Execute(connection, transaction,
                    "UPDATE runs SET status = @failed, error = @message, finished = @now, updated = @now WHERE id = @id AND status = @running",
                    ("@failed", Name(RunStatus.Failed)), ("@message", message), ("@now", Time(now)), ("@id", run),
                    ("@running", Name(RunStatus.Running)));
            failed.Add(trial with { State = TrialState.Failed, Message = message });
        }
        transaction.Commit();
        return failed;
    });

    public IReadOnlyList<TrialRecord> Trials(string study) => Use(connection =>
    {
        if (Scalar(connection, null, "SELECT name FROM studies WHERE name = @study", ("@study", study)) is null)
            throw MissingStudy(study);
        return ReadTrials(connection, null, study);
    });

    private List<TrialRecord> ReadTrials(DbConnection connection, DbTransaction? transaction, string study)
    {
        var intermediate = Query(connection, transaction,
                "SELECT number, value FROM trial_intermediates WHERE study = @study ORDER BY number, step",
                r => (Number: Integer(r, 0), Value: NumberFrom(r, 1)), ("@study", study))
            .GroupBy(i => i.Number)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<double>)g.Select(i => i.Value).ToArray());
        return Query(connection, transaction,
            "SELECT number, state, params, value, run_id, message, COALESCE(heartbeat, started) FROM trials WHERE study = @study ORDER BY number",
            r => new TrialRecord(Integer(r, 0), Parse<TrialState>(r.GetString(1)),
                JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(2))!,
                NullableNumber(r, 3), intermediate.GetValueOrDefault(Integer(r, 0), []), NullableText(r, 4),
                NullableText(r, 5), NullableTime(r, 6)),
            ("@study", study));
    }

    private void RequireRunning(DbConnection connection, DbTransaction transaction, string study, int trial)
    {
        string? state = (string?)Scalar(connection, transaction, "SELECT state FROM trials WHERE study = @study AND number = @number",
            ("@study", study), ("@number", trial));
        if (state is null) throw MissingTrial(study, trial);
        if (Parse<TrialState>(state) != TrialState.Running)
            throw new VisionLabException($"trial {trial} of study '{study}' is already {state}, not running");
    }

    private static void RequireName(string study)
    {
        if (string.IsNullOrWhiteSpace(study)) throw new VisionLabException("a study needs a name");
    }

    private VisionLabException MissingStudy(string study) => new($"no study '{study}' in {Location}");

    private VisionLabException MissingTrial(string study, int trial) => new($"study '{study}' in {Location} has no trial {trial}");
}
