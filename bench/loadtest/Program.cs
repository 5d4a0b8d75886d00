// Load test of `visionlab serve`: N clients, each sending one predict request after another (a
// closed loop, as wrk does) for a fixed time, against a server already running on this machine.
// Prints requests/s, errors, latency percentiles and the server's resident memory before and after
// (from /metrics), as one JSON line. bench/serve_load.sh starts the servers and runs this against
// each configuration.
//
//   dotnet run -c Release --project bench/loadtest -- --url http://127.0.0.1:8090 --model NAME
//       --image IMAGE [--clients 32] [--seconds 30] [--warmup 5]
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

var o = Options.Parse(args);
using var client = new HttpClient { BaseAddress = new Uri(o.Url), Timeout = TimeSpan.FromSeconds(60) };
client.DefaultRequestHeaders.ConnectionClose = false;
byte[] image = File.ReadAllBytes(o.Image);
string path = $"/api/models/{o.Model}/predict";

var latencies = Enumerable.Range(0, o.Clients).Select(_ => new List<double>()).ToArray();
var batchSizes = Enumerable.Range(0, o.Clients).Select(_ => new List<int>()).ToArray();
// Warm-up: the same load, not recorded, so JIT and allocator costs are behind us.
await Run(TimeSpan.FromSeconds(o.Warmup), record: null);
double memoryBefore = await ResidentMegabytes();
long errors = 0;
var errorKinds = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
var clock = Stopwatch.StartNew();
await Run(TimeSpan.FromSeconds(o.Seconds), record: (client, ms, batch, error) =>
{
    if (error is not null)
    {
        Interlocked.Increment(ref errors);
        errorKinds.AddOrUpdate(error, 1, (_, n) => n + 1);
        return;
    }
    latencies[client].Add(ms);
    batchSizes[client].Add(batch);
});
double elapsed = clock.Elapsed.TotalSeconds;
double memoryAfter = await ResidentMegabytes();

var all = latencies.SelectMany(l => l).Order().ToArray();
var batches = batchSizes.SelectMany(b => b).ToArray();
var result = new
{
    model = o.Model,
    clients = o.Clients,
    seconds = Math.Round(elapsed, 1),
    requests = all.Length,
    errors,
    error_kinds = errorKinds,
    requests_per_second = Math.Round(all.Length / elapsed, 1),
    p50_ms = Percentile(all, 0.50),
    p90_ms = Percentile(all, 0.90),
    p99_ms = Percentile(all, 0.99),
    max_ms = all.Length == 0 ? 0 : Math.Round(all[^1], 1),
    mean_batch = batches.Length == 0 ? 0 : Math.Round(batches.Average(), 2),
    server_rss_mb_before = memoryBefore,
    server_rss_mb_after = memoryAfter,
};
Console.WriteLine(JsonSerializer.Serialize(result));
return errors == 0 ? 0 : 1;

async Task Run(TimeSpan duration, Action<int, double, int, string?>? record)
{
    var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    await Task.WhenAll(Enumerable.Range(0, o.Clients).Select(c => Task.Run(async () =>
    {
        while (Stopwatch.GetTimestamp() < end)
        {
            long started = Stopwatch.GetTimestamp();
            try
            {
                using var form = new MultipartFormDataContent();
                var file = new ByteArrayContent(image);
                file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                form.Add(file, "file", Path.GetFileName(o.Image));
                using var response = await client.PostAsync(path, form);
                string body = await response.Content.ReadAsStringAsync();
                double ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (!response.IsSuccessStatusCode) record?.Invoke(c, ms, 0, $"HTTP {(int)response.StatusCode}");
                else
                {
                    using var json = JsonDocument.Parse(body);
                    record?.Invoke(c, ms, json.RootElement.GetProperty("batch_size").GetInt32(), null);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                record?.Invoke(c, 0, 0, e.GetType().Name);
            }
        }
    })));
}

async Task<double> ResidentMegabytes()
{
    string metrics = await client.GetStringAsync("/metrics");
    string line = metrics.Split('\n').First(l => l.StartsWith("process_resident_memory_bytes ", StringComparison.Ordinal));
    return Math.Round(double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture) / 1e6, 1);
}

static double Percentile(double[] sorted, double q) =>
    sorted.Length == 0 ? 0 : Math.Round(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)], 1);

sealed record Options(string Url, string Model, string Image, int Clients, int Seconds, int Warmup)
{
    public static Options Parse(string[] args)
    {
        var o = new Options("http://127.0.0.1:8090", "", "", 32, 30, 5);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string v = args[i + 1];
            o = args[i] switch
            {
                "--url" => o with { Url = v },
                "--model" => o with { Model = v },
                "--image" => o with { Image = v },
                "--clients" => o with { Clients = int.Parse(v, CultureInfo.InvariantCulture) },
                "--seconds" => o with { Seconds = int.Parse(v, CultureInfo.InvariantCulture) },
                "--warmup" => o with { Warmup = int.Parse(v, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        if (o.Model == "" || o.Image == "") throw new ArgumentException("--model and --image are required");
        return o;
    }
}
