using System.Diagnostics;
using System.Net;
using System.Text.Json;
using VisionLab.Tests.Support;
using VisionLab.Tracking.Store;
using VisionLab.Training;

namespace VisionLab.Tests.Server;

/// <summary>
/// What surrounds the models: health, Prometheus metrics, the OpenAPI document, the run history,
/// per-client rate limiting, and <c>visionlab serve</c> itself.
/// </summary>
[Collection(ServedLeNet.Collection)]
public sealed class ServiceTests(ServedLeNet served)
{
    private HttpClient Client => served.Client;

    [Fact]
    public async Task Healthz_answers_ok_with_the_number_of_models()
    {
        using var json = JsonDocument.Parse(await Client.GetStringAsync("/healthz"));
        Assert.Equal("ok", json.RootElement.GetProperty("status").GetString());
        Assert.Equal(served.Server.Models.All.Count, json.RootElement.GetProperty("models").GetInt32());
        Assert.Contains(served.Server.Models.All, m => m.Name == ServedLeNet.Model);
    }

    [Fact]
    public async Task Metrics_count_requests_by_route_and_status_in_prometheus_text()
    {
        byte[] png = await File.ReadAllBytesAsync(served.Trouser);
        (await Client.PostAsync($"/api/models/{ServedLeNet.Model}/predict", ServedLeNet.Form(png))).Dispose();
        (await Client.PostAsync("/api/models/nope/predict", ServedLeNet.Form(png))).Dispose();

        using var response = await Client.GetAsync("/metrics");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n');
        Assert.Contains("# TYPE visionlab_http_request_duration_seconds histogram", lines);
        double Count(string prefix) => double.Parse(lines.Single(l => l.StartsWith(prefix, StringComparison.Ordinal)).Split(' ')[^1],
            System.Globalization.CultureInfo.InvariantCulture);
        const string route = "route=\"/api/models/{name}/predict\"";
        Assert.True(Count($"visionlab_http_requests_total{{method=\"POST\",{route},status=\"200\"}}") >= 1);
        Assert.True(Count($"visionlab_http_requests_total{{method=\"POST\",{route},status=\"404\"}}") >= 1);
        Assert.Equal(Count($"visionlab_http_request_duration_seconds_count{{method=\"POST\",{route},status=\"200\"}}"),
            Count($"visionlab_http_request_duration_seconds_bucket{{method=\"POST\",{route},status=\"200\",le=\"+Inf\"}}"));
        Assert.True(Count("visionlab_inference_images_total{model=\"run\"}") >= Count("visionlab_inference_batches_total{model=\"run\"}"));
        Assert.True(Count("process_resident_memory_bytes") > 0);
    }

    [Fact]
    public async Task The_openapi_document_describes_every_endpoint()
    {
        using var json = JsonDocument.Parse(await Client.GetStringAsync("/openapi/v1.json"));
        var paths = json.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        foreach (string path in new[] { "/api/models", "/api/models/{name}/predict", "/api/models/{name}/explain", "/api/runs", "/api/runs/{id}", "/healthz", "/metrics" })
            Assert.Contains(path, paths);
        Assert.Equal("VisionLab API", json.RootElement.GetProperty("info").GetProperty("title").GetString());
    }

    [Fact]
    public async Task Runs_come_from_the_store_with_their_metrics()
    {
        string id = Guid.NewGuid().ToString("N");
        using (var store = ExperimentStore.Open(served.Store))
        {
            store.CreateRun(new NewRun(id, "served-run", "lenet5", "fashion-mnist", "{\"model\":\"lenet5\",\"epochs\":2}", null,
                Environment.MachineName, Environment.ProcessId, DateTime.UtcNow));
            for (int epoch = 1; epoch <= 2; epoch++)
                store.AppendMetrics(id, EpochMetrics.From(new EpochResult(epoch, 0.01, 0.5 / epoch, 0.8, 0.6 / epoch, 0.8 + epoch / 100.0, 10, 5000, 1, 300),
                    DateTime.UtcNow));
            store.FinishRun(id, RunStatus.Completed);
        }

        using var list = JsonDocument.Parse(await Client.GetStringAsync("/api/runs"));
        var run = list.RootElement.EnumerateArray().Single(r => r.GetProperty("id").GetString() == id);
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal(0.82, run.GetProperty("test_accuracy").GetDouble(), 12);

        using var detail = JsonDocument.Parse(await Client.GetStringAsync($"/api/runs/{id[..12]}"));
        Assert.Equal(2, detail.RootElement.GetProperty("config").GetProperty("epochs").GetInt32());
        var accuracy = detail.RootElement.GetProperty("metrics").GetProperty(EpochMetrics.TestAccuracy).EnumerateArray()
            .Select(p => (p.GetProperty("step").GetInt32(), p.GetProperty("value").GetDouble())).ToList();
        Assert.Equal([1, 2], accuracy.Select(a => a.Item1));
        Assert.Equal(0.81, accuracy[0].Item2, 12);
        Assert.Equal(0.82, accuracy[1].Item2, 12);

        using var missing = await Client.GetAsync("/api/runs/no-such-run");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_client_over_its_rate_gets_429_with_retry_after_while_others_are_served()
    {
        await using var limited = await ServedLeNet.Start(served.Options() with { RequestsPerSecond = 1, Burst = 3 });
        using var client = new HttpClient { BaseAddress = new Uri(limited.Address) };

        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 6; i++)
        {
            using var response = await client.GetAsync("/api/models");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }
        Assert.Equal(HttpStatusCode.OK, statuses[0]);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        using var health = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Visionlab_serve_serves_a_run_folder_until_stopped()
    {
        using var process = CliRunner.Start("serve", "--models", served.Run.Root, "--port", "0", "--json");
        try
        {
            string? started = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            using var json = JsonDocument.Parse(started ?? throw new InvalidOperationException("serve exited without printing its address"));
            string address = json.RootElement.GetProperty("address").GetString()!;
            Assert.StartsWith("http://127.0.0.1:", address);
            Assert.Equal(["run"], json.RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetString()));

            using var client = new HttpClient { BaseAddress = new Uri(address) };
            using var response = await client.PostAsync("/api/models/run/predict", ServedLeNet.Form(await File.ReadAllBytesAsync(served.Trouser)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    [Fact]
    public void Serve_without_models_says_where_it_looked()
    {
        using var folder = new TempFolder();
        var result = CliRunner.Run("serve", "--models", folder.Path, "--port", "0");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no checkpoint (.ckpt) or run folder", result.Stderr);
    }
}
