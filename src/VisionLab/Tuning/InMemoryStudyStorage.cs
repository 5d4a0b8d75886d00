namespace VisionLab.Tuning;

/// <summary>
/// Studies held in memory, for tests and single-process tuning: any number of worker threads share
/// it safely, as every operation runs under one lock — including the proposal inside
/// <see cref="StartTrial"/>, so no worker ever has to propose again.
/// </summary>
public sealed class InMemoryStudyStorage : IStudyStorage
{
    private readonly object gate = new();
    private readonly Dictionary<string, Study> studies = new(StringComparer.Ordinal);

    public void EnsureStudy(string study, StudyDirection direction, string spaceJson)
    {
        lock (gate)
        {
            if (!studies.TryGetValue(study, out var existing))
            {
                studies[study] = new Study(direction, spaceJson);
                return;
            }
            if (existing.Direction != direction)
                throw new VisionLabException(
                    $"study {study} already exists with direction {existing.Direction}, not {direction}");
            if (!string.Equals(existing.SpaceJson, spaceJson, StringComparison.Ordinal))
                throw new VisionLabException(
                    $"study {study} already exists with a different search space: {existing.SpaceJson}");
        }
    }

    /// <summary>
    /// Records a new running trial with the next number. If <paramref name="propose"/> throws,
    /// nothing is recorded and the exception reaches the caller.
    /// </summary>
    public TrialRecord StartTrial(string study, Func<IReadOnlyList<TrialRecord>, IReadOnlyDictionary<string, string>> propose)
    {
        lock (gate)
        {
            var trials = Get(study).Trials;
            var parameters = new Dictionary<string, string>(propose(trials.ToArray()), StringComparer.Ordinal);
            var trial = new TrialRecord(trials.Count, TrialState.Running, parameters, null, [], Heartbeat: DateTime.UtcNow);
            trials.Add(trial);
            return trial;
        }
    }

    public void ReportIntermediate(string study, int trial, double value)
    {
        lock (gate)
        {
            var record = Running(study, trial, "report a value for");
            Update(study, record with { Intermediate = [.. record.Intermediate, value] });
        }
    }

    public void AttachRun(string study, int trial, string runId)
    {
        lock (gate)
        {
            var record = Find(study, trial);
            Update(study, record with { RunId = runId });
        }
    }

    public void FinishTrial(string study, int trial, TrialState state, double? value, string? message = null)
    {
        if (state == TrialState.Running)
            throw new ArgumentException("a trial cannot finish in the Running state", nameof(state));
        lock (gate)
        {
            var record = Running(study, trial, "finish");
            Update(study, record with { State = state, Value = value, Message = message });
        }
    }

    public void RecordHeartbeat(string study, int trial)
    {
        lock (gate)
        {
            var record = Find(study, trial);
            if (record.State == TrialState.Running) Update(study, record with { Heartbeat = DateTime.UtcNow });
        }
    }

    public IReadOnlyList<TrialRecord> FailStaleTrials(string study, DateTime silentSince)
    {
        lock (gate)
        {
            var failed = Get(study).Trials.Where(t => t.State == TrialState.Running && t.Heartbeat < silentSince)
                .Select(t => t with
                {
                    State = TrialState.Failed,
                    Message = $"its worker stopped reporting (last heard from {t.Heartbeat:yyyy-MM-dd HH:mm:ss} UTC)",
                })
                .ToList();
            foreach (var trial in failed) Update(study, trial);
            return failed;
        }
    }

    public IReadOnlyList<TrialRecord> Trials(string study)
    {
        lock (gate)
            return Get(study).Trials.ToArray();
    }

    private Study Get(string study) =>
        studies.TryGetValue(study, out var found) ? found : throw new VisionLabException($"no study named {study}");

    private TrialRecord Find(string study, int trial)
    {
        var trials = Get(study).Trials;
        return trial >= 0 && trial < trials.Count ? trials[trial] : throw new VisionLabException($"study {study} has no trial {trial}");
    }

    private TrialRecord Running(string study, int trial, string action)
    {
        var record = Find(study, trial);
        return record.State == TrialState.Running
            ? record
            : throw new InvalidOperationException($"cannot {action} trial {trial} of study {study}: it is {record.State}");
    }

    // Records are immutable, so a snapshot handed out by Trials never changes under its reader.
    private void Update(string study, TrialRecord record) => Get(study).Trials[record.Number] = record;

    private sealed record Study(StudyDirection Direction, string SpaceJson)
    {
        public List<TrialRecord> Trials { get; } = [];
    }
}
