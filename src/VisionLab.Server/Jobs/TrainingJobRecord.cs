using System.Runtime.CompilerServices;

namespace VisionLab.Server.Jobs;

public enum JobStatus { Queued, Running, Completed, Failed, Cancelled }

/// <summary>One thing that happened to a job: <c>progress</c>, <c>epoch</c> or <c>status</c>, with its figures.</summary>
public sealed record JobEvent(string Type, object Data);

/// <summary>
/// A training job started through the API: its state, and every event it has produced, kept so
/// that a page opened halfway through a run still draws the whole curve.
/// </summary>
public sealed class TrainingJobRecord(string id, string model, string folder, string configFile)
{
    private readonly object gate = new();
    private readonly List<JobEvent> events = [];
    private TaskCompletionSource changed = NewSignal();

    public string Id { get; } = id;
    public string Model { get; } = model;

    /// <summary>The run folder the job trains into.</summary>
    public string Folder { get; } = folder;

    /// <summary>The resolved config the job's <c>visionlab train</c> reads.</summary>
    public string ConfigFile { get; } = configFile;

    public string Run => Path.GetFileName(Folder);
    public JobStatus Status { get; private set; } = JobStatus.Queued;
    public string? RunId { get; set; }
    public DateTime Created { get; } = DateTime.UtcNow;
    public DateTime? Started { get; private set; }
    public DateTime? Finished { get; private set; }
    public string? Error { get; private set; }

    /// <summary>The name the finished run is served under (<c>/api/models/{name}</c>); null until then,
    /// or when it could not be loaded.</summary>
    public string? ServedAs { get; private set; }

    /// <summary>Set when a client asked to cancel; the runner stops the process.</summary>
    public CancellationTokenSource Cancellation { get; } = new();

    public bool IsOver => Status is JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled;

    public void Add(JobEvent e)
    {
        lock (gate)
        {
            events.Add(e);
            Signal();
        }
    }

    public void MarkRunning()
    {
        lock (gate)
        {
            Status = JobStatus.Running;
            Started = DateTime.UtcNow;
            events.Add(StatusEvent());
            Signal();
        }
    }

    public void Finish(JobStatus status, string? error, string? servedAs = null)
    {
        lock (gate)
        {
            Status = status;
            Error = error;
            ServedAs = servedAs;
            Finished = DateTime.UtcNow;
            events.Add(StatusEvent());
            Signal();
        }
    }

    private JobEvent StatusEvent() => new("status", new { status = Status.ToString().ToLowerInvariant(), error = Error, served_as = ServedAs });

    /// <summary>Every event from the first, then each new one as it happens, until the job is over.</summary>
    public async IAsyncEnumerable<JobEvent> Follow([EnumeratorCancellation] CancellationToken cancellation)
    {
        int next = 0;
        while (true)
        {
            JobEvent[] fresh;
            Task wait;
            bool over;
            lock (gate)
            {
                fresh = events.Skip(next).ToArray();
                next = events.Count;
                over = IsOver;
                wait = changed.Task;
            }
            foreach (var e in fresh) yield return e;
            if (over) yield break;
            await wait.WaitAsync(cancellation);
        }
    }

    // Waiters hold the current signal; completing it wakes them all, and a fresh one takes its place.
    private void Signal()
    {
        changed.TrySetResult();
        changed = NewSignal();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
