using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using VisionLab.Server.Security;

namespace VisionLab.Tests.Server;

/// <summary>
/// Training through the API: the key guards starting and cancelling, a bad config is refused
/// before anything runs, a tiny job streams its epochs as server-sent events and lands in the run
/// store, and a cancelled job stops.
/// </summary>
[Collection(ServedLeNet.Collection)]
public sealed class JobApiTests(ServedLeNet served)
{
    private HttpClient Client => served.Client;

    private static object Tiny(int epochs) => new
    {
        config = new { model = "lenet5", epochs, train_limit = 2000, test_limit = 500, batch_size = 100 },
    };

    private static HttpRequestMessage Post(object body, string? key) => new(HttpMethod.Post, "/api/train")
    {
        Content = JsonContent.Create(body),
        Headers = { { ApiKey.Header, key is null ? [] : [key] } },
    };

    [Theory]
    [InlineData(null, 401)]
    [InlineData("not-the-key-but-long-enough", 403)]
    public async Task Starting_a_job_needs_the_api_key(string? key, int status)
    {
        using var response = await Client.SendAsync(Post(Tiny(1), key));
        Assert.Equal(status, (int)response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(ApiKey.Header, problem.RootElement.GetProperty("detail").GetString());
        Assert.DoesNotContain(ServedLeNet.Key, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("{\"config\": {\"model\": \"lenet5\", \"epochz\": 3}}", "unknown key 'epochz'")]
    [InlineData("{\"config\": {\"model\": \"lenet5\", \"out\": \"/etc\"}}", "'out'")]
    [InlineData("{\"config\": {\"model\": \"lenet5\", \"epochs\": 0}}", "epochs")]
    [InlineData("{\"model\": \"lenet5\"}", "{\"config\"")]
    [InlineData("not json", "not valid JSON")]
    public async Task A_bad_config_is_refused_before_anything_runs(string body, string detail)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/train")
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
            Headers = { { ApiKey.Header, ServedLeNet.Key } },
        };
        using var response = await Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(detail, problem.RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_job_streams_its_epochs_and_is_recorded_as_a_run()
    {
        using var started = await Client.SendAsync(Post(Tiny(2), ServedLeNet.Key));
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        string id = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        Assert.Equal($"/api/jobs/{id}", started.Headers.Location?.OriginalString);

        var events = await ReadEvents(id, TimeSpan.FromMinutes(4));

        Assert.Equal("status", events[0].Type);
        var epochs = events.Where(e => e.Type == "epoch").Select(e => e.Data).ToList();
        Assert.Equal([1, 2], epochs.Select(e => e.GetProperty("epoch").GetInt32()));
        Assert.All(epochs, e => Assert.InRange(e.GetProperty("test_accuracy").GetDouble(), 0.3, 1.0));
        Assert.Equal("completed", events[^1].Data.GetProperty("status").GetString());

        using var job = JsonDocument.Parse(await Client.GetStringAsync($"/api/jobs/{id}"));
        Assert.Equal("completed", job.RootElement.GetProperty("status").GetString());
        string runId = job.RootElement.GetProperty("run_id").GetString()!;
        using var run = JsonDocument.Parse(await Client.GetStringAsync($"/api/runs/{runId}"));
        Assert.Equal(2, run.RootElement.GetProperty("metrics").GetProperty("test_accuracy").GetArrayLength());
        Assert.True(File.Exists(Path.Combine(job.RootElement.GetProperty("folder").GetString()!, "checkpoints", "best.ckpt")));

        // A page opened after the end still gets the whole story.
        var replay = await ReadEvents(id, TimeSpan.FromSeconds(30));
        Assert.Equal(events.Select(e => e.Type), replay.Select(e => e.Type));

        // The trained run is served at once under its folder's name, ready to try.
        string name = job.RootElement.GetProperty("run").GetString()!;
        Assert.Equal(name, job.RootElement.GetProperty("served_as").GetString());
        Assert.Equal(name, events[^1].Data.GetProperty("served_as").GetString());
        using var models = JsonDocument.Parse(await Client.GetStringAsync("/api/models"));
        Assert.Contains(name, models.RootElement.EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        byte[] png = await File.ReadAllBytesAsync(served.Trouser);
        using var predicted = await Client.PostAsync($"/api/models/{name}/predict?top=3", ServedLeNet.Form(png));
        Assert.Equal(HttpStatusCode.OK, predicted.StatusCode);
        using var prediction = JsonDocument.Parse(await predicted.Content.ReadAsStringAsync());
        Assert.Equal(3, prediction.RootElement.GetProperty("predictions").GetArrayLength());
    }

    [Fact]
    public async Task A_cancelled_job_stops_and_says_so()
    {
        using var started = await Client.SendAsync(Post(Tiny(200), ServedLeNet.Key));
        string id = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await WaitFor(id, "running", TimeSpan.FromMinutes(4));

        using (var cancel = new HttpRequestMessage(HttpMethod.Delete, $"/api/jobs/{id}") { Headers = { { ApiKey.Header, ServedLeNet.Key } } })
        using (var response = await Client.SendAsync(cancel))
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var events = await ReadEvents(id, TimeSpan.FromMinutes(1));
        Assert.Equal("cancelled", events[^1].Data.GetProperty("status").GetString());
        Assert.True(events.Count(e => e.Type == "epoch") < 200);

        using var again = new HttpRequestMessage(HttpMethod.Delete, $"/api/jobs/{id}") { Headers = { { ApiKey.Header, ServedLeNet.Key } } };
        using var conflict = await Client.SendAsync(again);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        using var unknown = new HttpRequestMessage(HttpMethod.Delete, "/api/jobs/nope") { Headers = { { ApiKey.Header, ServedLeNet.Key } } };
        Assert.Equal(HttpStatusCode.NotFound, (await Client.SendAsync(unknown)).StatusCode);
    }

    private async Task WaitFor(string id, string status, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            using var job = JsonDocument.Parse(await Client.GetStringAsync($"/api/jobs/{id}"));
            if (job.RootElement.GetProperty("status").GetString() == status) return;
            await Task.Delay(200);
        }
        throw new TimeoutException($"job {id} was not {status} within {limit}");
    }

    public sealed record ServerEvent(string Type, JsonElement Data);

    /// <summary>The job's event stream to its end (text/event-stream: "event:" and "data:" lines, a blank line after each).</summary>
    private async Task<List<ServerEvent>> ReadEvents(string id, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        using var response = await Client.GetAsync($"/api/jobs/{id}/events", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        var events = new List<ServerEvent>();
        string? type = null;
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) type = line["event: ".Length..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
                events.Add(new ServerEvent(type ?? "message", JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone()));
        }
        return events;
    }
}
