using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using VisionLab.Server.Models;

namespace VisionLab.Server.Observability;

/// <summary>
/// Request counts and latency histograms, labelled by route template (not by path, so
/// <c>/api/models/{name}/predict</c> is one series however many models there are) and status, plus
/// each model's batching figures; written in Prometheus' text format by <c>GET /metrics</c>.
/// </summary>
public sealed class RequestMetrics
{
    /// <summary>Upper bounds of the latency buckets, in seconds: 1 ms to 10 s.</summary>
    public static readonly double[] Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private sealed class Series
    {
        public long Count;
        public readonly long[] BucketCounts = new long[Buckets.Length];
        public double SumSeconds;
    }

    private readonly ConcurrentDictionary<(string Method, string Route, int Status), Series> series = new();

    public void Record(string method, string route, int status, double seconds)
    {
        var s = series.GetOrAdd((method, route, status), _ => new Series());
        lock (s)
        {
            s.Count++;
            s.SumSeconds += seconds;
            for (int i = 0; i < Buckets.Length; i++) if (seconds <= Buckets[i]) s.BucketCounts[i]++;
        }
    }

    /// <summary>Times every request and records it under its endpoint's route template (unmatched
    /// paths share one series, so probing for URLs cannot grow the metrics without bound).</summary>
    public static IApplicationBuilder UseRequestMetrics(IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            string route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            context.RequestServices.GetRequiredService<RequestMetrics>()
                .Record(context.Request.Method, route, context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    });

    public string Render(ModelCatalog models)
    {
        var text = new StringBuilder();
        var snapshot = series.ToArray().OrderBy(p => p.Key.Route, StringComparer.Ordinal).ThenBy(p => p.Key.Method).ThenBy(p => p.Key.Status).ToArray();
        text.Append("# HELP visionlab_http_requests_total HTTP requests by method, route template and status.\n");
        text.Append("# TYPE visionlab_http_requests_total counter\n");
        foreach (var (key, s) in snapshot)
            lock (s) Line(text, "visionlab_http_requests_total", Labels(key), s.Count);
        text.Append("# HELP visionlab_http_request_duration_seconds Time from the request's arrival to its response.\n");
        text.Append("# TYPE visionlab_http_request_duration_seconds histogram\n");
        foreach (var (key, s) in snapshot)
        {
            lock (s)
            {
                string labels = Labels(key);
                for (int i = 0; i < Buckets.Length; i++)
                    Line(text, "visionlab_http_request_duration_seconds_bucket", $"{labels},le=\"{Number(Buckets[i])}\"", s.BucketCounts[i]);
                Line(text, "visionlab_http_request_duration_seconds_bucket", $"{labels},le=\"+Inf\"", s.Count);
                Line(text, "visionlab_http_request_duration_seconds_sum", labels, s.SumSeconds);
                Line(text, "visionlab_http_request_duration_seconds_count", labels, s.Count);
            }
        }
        text.Append("# HELP visionlab_inference_batches_total Forward passes run per model (images / batches = mean batch size).\n");
        text.Append("# TYPE visionlab_inference_batches_total counter\n");
        foreach (var m in models.All) Line(text, "visionlab_inference_batches_total", $"model=\"{Escape(m.Name)}\"", m.Queue.Batches);
        text.Append("# HELP visionlab_inference_images_total Images classified per model.\n");
        text.Append("# TYPE visionlab_inference_images_total counter\n");
        foreach (var m in models.All) Line(text, "visionlab_inference_images_total", $"model=\"{Escape(m.Name)}\"", m.Queue.Images);
        text.Append("# HELP process_resident_memory_bytes Resident memory of the server process.\n");
        text.Append("# TYPE process_resident_memory_bytes gauge\n");
        using (var process = Process.GetCurrentProcess()) Line(text, "process_resident_memory_bytes", null, process.WorkingSet64);
        return text.ToString();
    }

    private static string Labels((string Method, string Route, int Status) key) =>
        $"method=\"{Escape(key.Method)}\",route=\"{Escape(key.Route)}\",status=\"{key.Status}\"";

    private static void Line(StringBuilder text, string name, string? labels, double value) =>
        text.Append(name).Append(labels is null ? "" : $"{{{labels}}}").Append(' ').Append(Number(value)).Append('\n');

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    // Prometheus label values escape backslash, quote and newline.
    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
