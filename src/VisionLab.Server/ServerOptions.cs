namespace VisionLab.Server;

/// <summary>
/// How <c>visionlab serve</c> runs: what it serves, where it listens, and the limits that keep one
/// client or one request from taking the service down.
/// </summary>
public sealed record ServerOptions
{
    /// <summary>A run folder, a checkpoint, or a folder of either: every model found is served.</summary>
    public required string Models { get; init; }

    /// <summary>127.0.0.1 unless told: a model service is not something to expose by accident.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port (tests); <see cref="VisionLabServer.Address"/> tells which.</summary>
    public int Port { get; init; } = 8080;

    /// <summary>The key mutating endpoints require in the <c>X-Api-Key</c> header; null: those
    /// endpoints refuse every request.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Largest request body, 20 MB by default.</summary>
    public long MaxUploadBytes { get; init; } = 20 * 1024 * 1024;

    /// <summary>Images declaring more pixels are refused before decoding (decompression bombs).</summary>
    public long MaxImagePixels { get; init; } = 40_000_000;

    /// <summary>Requests one client (IP address) may make per second, sustained; 0 turns the limit off.</summary>
    public int RequestsPerSecond { get; init; } = 100;

    /// <summary>Requests a client may make at once above its steady rate.</summary>
    public int Burst { get; init; } = 200;

    /// <summary>Most images one forward pass takes; 1 turns batching off.</summary>
    public int MaxBatch { get; init; } = 32;

    /// <summary>How long the first request of a batch waits for others to join it.</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Requests waiting for one model beyond which new ones are turned away (503).</summary>
    public int MaxQueue { get; init; } = 1024;

    /// <summary>The run store <c>/api/runs</c> reads (default: runs/visionlab.sqlite).</summary>
    public string? Store { get; init; }

    /// <summary>Where training jobs started through the API write their run folders.</summary>
    public string RunsFolder { get; init; } = "runs";

    /// <summary>How to run <c>visionlab</c> for a training job (program, then leading arguments,
    /// e.g. dotnet and the CLI's dll); null: the API starts no training.</summary>
    public IReadOnlyList<string>? TrainCommand { get; init; }

    /// <summary>"cpu" or "cuda".</summary>
    public string Device { get; init; } = "cpu";

    public void Validate()
    {
        if (Port is < 0 or > 65535) throw new VisionLabException($"--port {Port} is not a TCP port (0 to 65535)");
        if (MaxUploadBytes < 1) throw new VisionLabException($"upload limit {MaxUploadBytes} bytes must be positive");
        if (MaxImagePixels < 1) throw new VisionLabException($"image pixel limit {MaxImagePixels} must be positive");
        if (RequestsPerSecond < 0) throw new VisionLabException($"--rate-limit {RequestsPerSecond} must be 0 (off) or more");
        if (Burst < 1) throw new VisionLabException($"--burst {Burst} must be at least 1");
        if (MaxBatch < 1) throw new VisionLabException($"--max-batch {MaxBatch} must be at least 1");
        if (MaxWait < TimeSpan.Zero) throw new VisionLabException($"--max-wait-ms {MaxWait.TotalMilliseconds} must be 0 or more");
        if (MaxQueue < 1) throw new VisionLabException($"queue limit {MaxQueue} must be at least 1");
        if (ApiKey is { Length: < 16 }) throw new VisionLabException("the API key must be at least 16 characters");
    }
}
