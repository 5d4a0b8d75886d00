using System.Text.Json;
using VisionLab.Tracking.Store;

namespace VisionLab.Server.Api;

/// <summary>
/// Experiment history from the run store (<c>GET /api/runs</c>, <c>GET /api/runs/{id}</c>): the
/// same records <c>visionlab runs list|show</c> prints, as JSON for the runs page.
/// </summary>
public static class RunEndpoints
{
    public static void MapRunEndpoints(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/api/runs").WithTags("runs");
        runs.MapGet("/", List).WithSummary("Runs newest first with their headline figures");
        runs.MapGet("/{id}", Show).WithSummary("One run (id, name, or a unique prefix): its config and every metric by step");
    }

    public sealed record RunItem(string Id, string Name, string Model, string Data, string Status, string? Error, DateTime Started,
        DateTime Updated, DateTime? Finished, int Epochs, double? TestAccuracy, double? BestTestAccuracy);

    public sealed record RunDetail(RunItem Run, string? Folder, string Host, JsonElement Config,
        IReadOnlyDictionary<string, IReadOnlyList<MetricPoint>> Metrics);

    public sealed record MetricPoint(int Step, double? Value);

    private static IEnumerable<RunItem> List(IExperimentStore store, string? status, string? model, int? limit)
    {
        RunStatus? wanted = null;
        if (status is not null)
        {
            if (!Enum.TryParse<RunStatus>(status, ignoreCase: true, out var parsed))
                throw ApiProblem.BadRequest($"status={status}: one of {string.Join(", ", Enum.GetNames<RunStatus>().Select(n => n.ToLowerInvariant()))}");
            wanted = parsed;
        }
        if (limit is < 1 or > 1000) throw ApiProblem.BadRequest($"limit={limit} must be 1 to 1000");
        return store.ListRuns(new RunQuery(wanted, model, limit ?? 50))
            .Select(s => Item(s.Run, s.Epochs, s.TestAccuracy, s.BestTestAccuracy));
    }

    private static RunDetail Show(string id, IExperimentStore store)
    {
        RunRecord run;
        try
        {
            run = store.ResolveRun(id);
        }
        catch (VisionLabException e)
        {
            throw ApiProblem.NotFound(e.Message);
        }
        var metrics = store.Metrics(run.Id);
        var byName = metrics.GroupBy(m => m.Metric).ToDictionary(g => g.Key,
            g => (IReadOnlyList<MetricPoint>)g.OrderBy(m => m.Step).Select(m => new MetricPoint(m.Step, double.IsNaN(m.Value) ? null : m.Value)).ToArray());
        var accuracy = byName.GetValueOrDefault(EpochMetrics.TestAccuracy) ?? [];
        using var config = JsonDocument.Parse(run.ConfigJson);
        return new RunDetail(Item(run, accuracy.Count, accuracy.LastOrDefault()?.Value, accuracy.Max(p => p.Value)), run.Folder, run.Host,
            config.RootElement.Clone(), byName);
    }

    private static RunItem Item(RunRecord r, int epochs, double? accuracy, double? best) =>
        new(r.Id, r.Name, r.Model, r.Data, RunLiveness.IsLost(r) ? "lost" : r.Status.ToString().ToLowerInvariant(), r.Error,
            r.Started, r.Updated, r.Finished, epochs, accuracy, best);
}
