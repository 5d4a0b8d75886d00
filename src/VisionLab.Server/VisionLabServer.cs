using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VisionLab.Runtime;
using VisionLab.Server.Api;
using VisionLab.Server.Jobs;
using VisionLab.Server.Models;
using VisionLab.Server.Observability;
using VisionLab.Server.Security;
using VisionLab.Tracking.Store;

namespace VisionLab.Server;

/// <summary>
/// <c>visionlab serve</c>: the served models behind a JSON API (documented at <c>/openapi/v1.json</c>),
/// the web page, health and Prometheus metrics, in one ASP.NET Core process. The CLI and the tests
/// start it the same way: <see cref="Start"/>, then <see cref="Address"/>.
/// </summary>
public sealed class VisionLabServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private VisionLabServer(WebApplication app, ModelCatalog models)
    {
        this.app = app;
        Models = models;
    }

    public ModelCatalog Models { get; }

    /// <summary>Where it listens, e.g. http://127.0.0.1:8080 (the real port when 0 was asked for).</summary>
    public string Address => app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();

    /// <summary>Loads the models and starts listening; returns once requests are being taken.</summary>
    public static async Task<VisionLabServer> Start(ServerOptions options, ILoggerProvider? logging = null)
    {
        options.Validate();
        var device = TorchRuntime.ParseDevice(options.Device);
        var models = ModelCatalog.Load(options.Models, options, device);
        try
        {
            var app = Build(options, models, logging);
            await app.StartAsync();
            return new VisionLabServer(app, models);
        }
        catch
        {
            models.Dispose();
            throw;
        }
    }

    private static WebApplication Build(ServerOptions options, ModelCatalog models, ILoggerProvider? logging)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        });
        builder.Logging.ClearProviders();
        if (logging is not null) builder.Logging.AddProvider(logging);
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxUploadBytes;
            kestrel.AddServerHeader = false;
        });
        builder.WebHost.UseUrls($"http://{(options.Host.Contains(':') ? $"[{options.Host}]" : options.Host)}:{options.Port}");
        builder.Services.Configure<FormOptions>(form => form.MultipartBodyLengthLimit = options.MaxUploadBytes);
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.DictionaryKeyPolicy = null;
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi(openApi => openApi.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "VisionLab API";
            document.Info.Description = "Predict and explain with trained image classifiers; browse training runs.";
            return Task.CompletedTask;
        }));
        builder.Services.AddSingleton(models);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new ApiKey(options.ApiKey));
        builder.Services.AddSingleton<RequestMetrics>();
        builder.Services.AddSingleton<IExperimentStore>(_ => ExperimentStore.Open(options.Store));
        builder.Services.AddSingleton<TrainingJobs>();
        RateLimits.Add(builder.Services, options);

        var app = builder.Build();
        RequestMetrics.UseRequestMetrics(app);
        app.UseProblemMapping();
        // 404 and 405 from routing get a problem-details body like every other error.
        app.UseStatusCodePages(async status =>
        {
            var response = status.HttpContext.Response;
            if (response.ContentLength is null && response.ContentType is null)
                await Results.Problem(statusCode: response.StatusCode).ExecuteAsync(status.HttpContext);
        });
        app.UseRateLimiter();
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions { FileProvider = WebRoot(app) });

        app.MapOpenApi();
        app.MapGet("/healthz", (ModelCatalog catalog) => Results.Ok(new { status = "ok", models = catalog.All.Count })).WithTags("service");
        app.MapGet("/metrics", (RequestMetrics metrics, ModelCatalog catalog) =>
            Results.Text(metrics.Render(catalog), "text/plain; version=0.0.4; charset=utf-8")).WithTags("service");
        var api = app.MapGroup("").RequireRateLimiting(RateLimits.Policy);
        api.MapModelEndpoints();
        api.MapRunEndpoints();
        api.MapJobEndpoints();
        return app;
    }

    // The page's files sit beside the binaries; a build without them still serves the API.
    private static IFileProvider WebRoot(WebApplication app) =>
        Directory.Exists(app.Environment.WebRootPath) ? new PhysicalFileProvider(app.Environment.WebRootPath) : new NullFileProvider();

    /// <summary>Returns when the process is asked to stop or <paramref name="stop"/> fires.</summary>
    public Task WaitForShutdown(CancellationToken stop = default) => app.WaitForShutdownAsync(stop);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        Models.Dispose();
    }
}
