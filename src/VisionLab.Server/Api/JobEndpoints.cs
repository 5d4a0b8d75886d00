using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using VisionLab.Server.Jobs;
using VisionLab.Server.Security;

namespace VisionLab.Server.Api;

/// <summary>
/// Training through the API: <c>POST /api/train</c> queues a job from an experiment config (the
/// keys of <c>configs/*.yaml</c>, as JSON), <c>GET /api/jobs/{id}/events</c> streams its progress as
/// server-sent events, <c>DELETE /api/jobs/{id}</c> cancels it. Starting and cancelling need the API key.
/// </summary>
public static class JobEndpoints
{
    private static readonly JsonSerializerOptions EventJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // A diverged loss is NaN: sent as "NaN" rather than failing the stream.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void MapJobEndpoints(this IEndpointRouteBuilder app)
    {
        ApiKey.Require(app.MapPost("/api/train", Start).WithTags("jobs")
            .WithSummary("Start a training job from {\"config\": {...}} (needs X-Api-Key); 202 with the job"));
        var jobs = app.MapGroup("/api/jobs").WithTags("jobs");
        jobs.MapGet("/", (TrainingJobs all) => all.All.Select(Describe)).WithSummary("Training jobs, newest first");
        jobs.MapGet("/{id}", (string id, TrainingJobs all) => Describe(Find(all, id))).WithSummary("One job's state");
        jobs.MapGet("/{id}/events", Events)
            .WithSummary("Server-sent events: every 'progress' (running loss) and 'epoch' so far, then live, ending with 'status'");
        ApiKey.Require(jobs.MapDelete("/{id}", Cancel).WithSummary("Cancel a queued or running job (needs X-Api-Key)"));
    }

    public sealed record JobDescription(string Id, string Status, string Model, string Run, string Folder, string? RunId,
        DateTime Created, DateTime? Started, DateTime? Finished, string? Error, string? ServedAs);

    private static JobDescription Describe(TrainingJobRecord j) =>
        new(j.Id, j.Status.ToString().ToLowerInvariant(), j.Model, j.Run, j.Folder, j.RunId, j.Created, j.Started, j.Finished, j.Error, j.ServedAs);

    private static async Task<IResult> Start(HttpRequest request, TrainingJobs jobs, CancellationToken cancellation)
    {
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(request.Body, cancellationToken: cancellation);
        }
        catch (JsonException e)
        {
            throw ApiProblem.BadRequest($"the body is not valid JSON: {e.Message}");
        }
        if (body is not JsonObject { } root || root["config"] is not JsonObject config)
            throw ApiProblem.BadRequest("the body must be {\"config\": {...}} with the keys of an experiment config (see configs/*.yaml)");
        var job = jobs.Submit((JsonObject)config.DeepClone());
        return Results.Accepted($"/api/jobs/{job.Id}", Describe(job));
    }

    private static async Task Events(string id, HttpContext context, TrainingJobs jobs)
    {
        var job = Find(jobs, id);
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        // Proxies that buffer would hold the stream back until the job ends.
        response.Headers["X-Accel-Buffering"] = "no";
        try
        {
            await foreach (var e in job.Follow(context.RequestAborted))
            {
                await response.WriteAsync($"event: {e.Type}\ndata: {JsonSerializer.Serialize(e.Data, e.Data.GetType(), EventJson)}\n\n",
                    context.RequestAborted);
                await response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    private static IResult Cancel(string id, TrainingJobs jobs)
    {
        var job = Find(jobs, id);
        if (!jobs.Cancel(job))
            throw new ApiProblem(StatusCodes.Status409Conflict, "Conflict", $"job {id} is already {job.Status.ToString().ToLowerInvariant()}");
        return Results.Accepted($"/api/jobs/{job.Id}", Describe(job));
    }

    private static TrainingJobRecord Find(TrainingJobs jobs, string id) =>
        jobs.Find(id) ?? throw ApiProblem.NotFound($"no training job '{id}' (GET /api/jobs lists them)");
}
