using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Cli.Rendering;
using VisionLab.Runtime;
using VisionLab.Server;

namespace VisionLab.Cli.Commands;

public sealed class ServeSettings : ComputeSettings
{
    [CommandOption("-m|--models <PATH>")]
    [Description("A run folder, a checkpoint, or a folder of either: every model found is served, named after its run folder or file.")]
    [DefaultValue("runs")]
    public string Models { get; init; } = "runs";

    [CommandOption("--host <ADDRESS>")]
    [Description("Address to listen on; 0.0.0.0 exposes the service to the network.")]
    [DefaultValue("127.0.0.1")]
    public string Host { get; init; } = "127.0.0.1";

    [CommandOption("-p|--port <PORT>")]
    [Description("TCP port (0: any free port).")]
    [DefaultValue(8080)]
    public int Port { get; init; } = 8080;

    [CommandOption("--api-key-file <FILE>")]
    [Description("File holding the API key that starting and cancelling training jobs require (X-Api-Key header); " +
                 "or set VISIONLAB_API_KEY. Without one, those endpoints refuse every request.")]
    public string? ApiKeyFile { get; init; }

    [CommandOption("--max-batch <N>")]
    [Description("Most concurrent predictions of one model gathered into one forward pass (1: no batching).")]
    [DefaultValue(32)]
    public int MaxBatch { get; init; } = 32;

    [CommandOption("--max-wait-ms <MS>")]
    [Description("How long the first prediction of a batch waits for others to join it.")]
    [DefaultValue(5.0)]
    public double MaxWaitMs { get; init; } = 5.0;

    [CommandOption("--rate-limit <N>")]
    [Description("API requests per second allowed to one client address (0: no limit).")]
    [DefaultValue(100)]
    public int RateLimit { get; init; } = 100;

    [CommandOption("--burst <N>")]
    [Description("Requests a client may make at once above its steady rate.")]
    [DefaultValue(200)]
    public int Burst { get; init; } = 200;

    [CommandOption("--max-upload-mb <MB>")]
    [Description("Largest request body in megabytes.")]
    [DefaultValue(20)]
    public int MaxUploadMb { get; init; } = 20;

    [CommandOption("--store <STORE>")]
    [Description("Run store /api/runs reads: a SQLite file (default runs/visionlab.sqlite) or postgres://user:password@host/db.")]
    public string? Store { get; init; }
}

/// <summary>Serves trained models over HTTP: JSON API, web page, health and metrics.</summary>
public sealed class ServeCommand : AsyncCommand<ServeSettings>
{
    public const string ApiKeyVariable = "VISIONLAB_API_KEY";

    public override async Task<int> ExecuteAsync(CommandContext context, ServeSettings s, CancellationToken cancellation)
    {
        TorchRuntime.SetThreads(s.Threads ?? TorchRuntime.DefaultThreads);
        var options = new ServerOptions
        {
            Models = s.Models,
            Host = s.Host,
            Port = s.Port,
            ApiKey = ReadApiKey(s.ApiKeyFile),
            MaxBatch = s.MaxBatch,
            MaxWait = TimeSpan.FromMilliseconds(s.MaxWaitMs),
            RequestsPerSecond = s.RateLimit,
            Burst = s.Burst,
            MaxUploadBytes = (long)s.MaxUploadMb * 1024 * 1024,
            Store = s.Store,
            Device = s.Device,
            TrainCommand = ThisProgram(),
        };
        await using var server = await VisionLabServer.Start(options);
        if (s.Json)
            JsonOutput.WriteLine(new { address = server.Address, models = server.Models.All.Select(m => m.Name) });
        else
        {
            foreach (var m in server.Models.All)
                AnsiConsole.MarkupLine($"serving [bold]{Markup.Escape(m.Name)}[/] ({Markup.Escape(m.Info.Model)}, {m.Info.Classes.Count} classes) from {Markup.Escape(m.Checkpoint)}");
            AnsiConsole.MarkupLine($"listening on [link]{server.Address}[/] (API at /api, OpenAPI at /openapi/v1.json); " +
                                   $"batches of up to {options.MaxBatch}, API key {(options.ApiKey is null ? "not set: training jobs refused" : "set")}; Ctrl+C stops");
        }
        Console.Out.Flush();
        await server.WaitForShutdown(cancellation);
        return 0;
    }

    /// <summary>How to start this same command line again, for training jobs: "dotnet VisionLab.Cli.dll"
    /// when run through dotnet (as ./visionlab does), else the executable itself.</summary>
    private static string[] ThisProgram()
    {
        string host = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(host) == "dotnet" ? [host, typeof(ServeCommand).Assembly.Location] : [host];
    }

    // The key is read from a file or the environment, never from the command line, where other
    // users of the machine could see it in the process list.
    private static string? ReadApiKey(string? file)
    {
        if (file is not null)
        {
            if (!File.Exists(file)) throw new VisionLabException($"--api-key-file {Path.GetFullPath(file)}: no such file");
            string key = File.ReadAllText(file).Trim();
            return key.Length > 0 ? key : throw new VisionLabException($"--api-key-file {Path.GetFullPath(file)} is empty");
        }
        return Environment.GetEnvironmentVariable(ApiKeyVariable) is { Length: > 0 } variable ? variable.Trim() : null;
    }
}
