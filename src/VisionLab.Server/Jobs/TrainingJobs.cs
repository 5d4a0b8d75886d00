using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using VisionLab.Runs;
using VisionLab.Server.Models;
using VisionLab.Tracking.Store;
using VisionLab.Training;

namespace VisionLab.Server.Jobs;

/// <summary>
/// Training started through the API. Each job is a <c>visionlab train</c> process of its own, one
/// at a time in arrival order: training needs exact convolution gradients, which is a process-wide
/// libtorch setting the served models' fast inference turns the other way (see ConvolutionBackend),
/// and a process of its own also keeps a job's memory and any crash away from the service. The job
/// records itself in the run store as every run does; its events are read back from there. A job
/// that completes is served at once, under its run folder's name, so the page can try it.
/// </summary>
public sealed class TrainingJobs : IAsyncDisposable
{
    /// <summary>How often a running job's figures are read from the store.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a cancelled job gets to stop by itself before it is killed.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(20);

    // Config keys that name files on the server: a request may not point the server's own
    // training at other files or folders than the run folder it chooses.
    private static readonly string[] ServerChosenKeys = ["out", "tensorboard_dir", "pretrained", "init_from", "teacher"];

    private readonly ServerOptions options;
    private readonly IExperimentStore store;
    private readonly ModelCatalog catalog;
    private readonly ILogger logger;
    private readonly ConcurrentDictionary<string, TrainingJobRecord> jobs = new();
    private readonly Channel<TrainingJobRecord> queue = Channel.CreateUnbounded<TrainingJobRecord>();
    private readonly CancellationTokenSource stopping = new();
    private readonly Task worker;

    public TrainingJobs(ServerOptions options, IExperimentStore store, ModelCatalog catalog, ILoggerFactory logging)
    {
        this.options = options;
        this.store = store;
        this.catalog = catalog;
        logger = logging.CreateLogger<TrainingJobs>();
        worker = Task.Run(RunQueue);
    }

    public IEnumerable<TrainingJobRecord> All => jobs.Values.OrderByDescending(j => j.Created);

    public TrainingJobRecord? Find(string id) => jobs.GetValueOrDefault(id);

    /// <summary>Checks <paramref name="config"/> as <c>visionlab train --config</c> would, writes it
    /// into the job's folder and queues the job. A bad config fails here, before anything runs.</summary>
    public TrainingJobRecord Submit(JsonObject config)
    {
        if (options.TrainCommand is null) throw new VisionLabException("this server cannot start training jobs (it was started without a train command)");
        foreach (string key in ServerChosenKeys)
            if (config.ContainsKey(key)) throw new VisionLabException($"config key '{key}' names a file or folder on the server; the API does not accept it");
        var resolved = ExperimentConfig.Bind(config, "in the request").Validate();
        string id = Guid.NewGuid().ToString("N")[..12];
        string root = Path.GetFullPath(options.RunsFolder);
        string folder = Path.Combine(root, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{resolved.Model}-job-{id[..6]}");
        string jobs = Path.Combine(root, ".jobs");
        Directory.CreateDirectory(jobs);
        string file = Path.Combine(jobs, $"{id}.yaml");
        AtomicFile.WriteAllBytes(file, System.Text.Encoding.UTF8.GetBytes(ExperimentConfig.ToYaml(resolved with { Out = folder })));
        var job = new TrainingJobRecord(id, resolved.Model, folder, file);
        this.jobs[id] = job;
        queue.Writer.TryWrite(job);
        return job;
    }

    /// <summary>Asks a job to stop: a queued one never starts, a running one is interrupted (its
    /// checkpoints so far stay). False when the job is already over.</summary>
    public bool Cancel(TrainingJobRecord job)
    {
        if (job.IsOver) return false;
        job.Cancellation.Cancel();
        return true;
    }

    private async Task RunQueue()
    {
        try
        {
            await foreach (var job in queue.Reader.ReadAllAsync(stopping.Token))
            {
                if (job.Cancellation.IsCancellationRequested)
                {
                    job.Finish(JobStatus.Cancelled, null);
                    continue;
                }
                try
                {
                    await Run(job);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
                {
                    logger.LogError(e, "training job {Job} failed to run", job.Id);
                    if (!job.IsOver) job.Finish(JobStatus.Failed, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task Run(TrainingJobRecord job)
    {
        var start = new ProcessStartInfo(options.TrainCommand![0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in options.TrainCommand.Skip(1)) start.ArgumentList.Add(a);
        foreach (string a in new[] { "train", "--config", job.ConfigFile, "--json" }) start.ArgumentList.Add(a);
        start.Environment["NO_COLOR"] = "1";
        // Through the environment, not the command line: a PostgreSQL URL carries a password, and
        // every user of the machine can read every process's arguments.
        start.Environment[ExperimentStore.LocationVariable] = StoreLocation;

        using var process = Process.Start(start) ?? throw new VisionLabException("could not start visionlab train");
        job.MarkRunning();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        var follower = new StoreFollower(store, job);
        using var cancelled = job.Cancellation.Token.Register(() => Interrupt(process));
        using var shutdown = stopping.Token.Register(() => Interrupt(process));
        var exited = process.WaitForExitAsync();
        while (!exited.IsCompleted)
        {
            follower.Poll();
            await Task.WhenAny(exited, Task.Delay(PollInterval));
        }
        await exited;
        follower.Poll();
        await output;
        string stderr = await errors;
        if (job.Cancellation.IsCancellationRequested) job.Finish(JobStatus.Cancelled, null);
        else if (process.ExitCode == 0) job.Finish(JobStatus.Completed, null, Serve(job));
        else job.Finish(JobStatus.Failed, LastError(stderr) ?? $"visionlab train exited with code {process.ExitCode}");
    }

    private string? Serve(TrainingJobRecord job)
    {
        try
        {
            return catalog.AddRun(job.Folder).Name;
        }
        catch (Exception e)
        {
            // The run itself is fine and stays in the store; only trying it in the page waits for a restart.
            logger.LogWarning(e, "training job {Job} completed but its run {Run} could not be served", job.Id, job.Run);
            return null;
        }
    }

    private string StoreLocation => string.IsNullOrWhiteSpace(options.Store) ? ExperimentStore.DefaultPath : options.Store;

    // The CLI prints one line "error: ..." for a problem the user can fix.
    private static string? LastError(string stderr) =>
        stderr.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("error:", StringComparison.Ordinal))?["error:".Length..].Trim();

    // SIGTERM first, which visionlab takes as Ctrl+C: the run ends cleanly (recorded as killed,
    // checkpoints intact). A process that has not stopped after the grace period is killed outright.
    private void Interrupt(Process process)
    {
        try
        {
            if (process.HasExited) return;
            if (!OperatingSystem.IsWindows() && SendSignal(process.Id, SigTerm) == 0)
            {
                _ = Task.Delay(StopGrace).ContinueWith(_ =>
                {
                    try { if (!process.HasExited) process.Kill(entireProcessTree: true); }
                    catch (InvalidOperationException) { }
                }, TaskScheduler.Default);
                return;
            }
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int SendSignal(int pid, int signal);

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        foreach (var job in jobs.Values) job.Cancellation.Cancel();
        await stopping.CancelAsync();
        try
        {
            await worker.WaitAsync(StopGrace + TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            logger.LogWarning("a training job did not stop in time");
        }
        stopping.Dispose();
    }
}
