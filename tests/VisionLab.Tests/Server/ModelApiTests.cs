using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using SkiaSharp;
using VisionLab.Inference;
using VisionLab.Server;
using VisionLab.Training;

namespace VisionLab.Tests.Server;

/// <summary>
/// The model endpoints as a client uses them: what is served, predictions equal to the library's,
/// batching under concurrent load, heat maps, and a problem-details 4xx for every kind of bad
/// request, after which the service still answers.
/// </summary>
[Collection(ServedLeNet.Collection)]
public sealed class ModelApiTests(ServedLeNet served)
{
    private HttpClient Client => served.Client;
    private static string Predict => $"/api/models/{ServedLeNet.Model}/predict";
    private static string Explain => $"/api/models/{ServedLeNet.Model}/explain";

    [Fact]
    public async Task Models_lists_the_run_with_its_classes_input_and_parameters()
    {
        using var json = JsonDocument.Parse(await Client.GetStringAsync("/api/models"));
        // The model given at start comes first; runs trained through the API (JobApiTests) follow it.
        var model = json.RootElement.EnumerateArray().First();
        Assert.Equal(ServedLeNet.Model, model.GetProperty("name").GetString());
        Assert.Equal("lenet5", model.GetProperty("architecture").GetString());
        Assert.Equal(VisionLab.Data.ImageClassificationData.FashionMnistClasses, model.GetProperty("classes").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(28, model.GetProperty("input").GetProperty("height").GetInt32());
        Assert.Equal(61_706, model.GetProperty("parameters").GetInt64());
    }

    [Fact]
    public async Task Predict_by_form_and_by_json_gives_the_libraries_probabilities()
    {
        byte[] png = await File.ReadAllBytesAsync(served.Trouser);
        using var checkpoint = Checkpoint.Load(served.Run.Checkpoint);
        var expected = new Predictor(checkpoint.Model, checkpoint.Info.EvalTransform, checkpoint.Info.Classes).Predict(served.Trouser, 3);

        using var byForm = await Client.PostAsync(Predict + "?top=3", ServedLeNet.Form(png, "trouser.png"));
        using var byJson = await Client.PostAsJsonAsync(Predict, new { image = Convert.ToBase64String(png), top = 3 });

        foreach (var response in new[] { byForm, byJson })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var predictions = json.RootElement.GetProperty("predictions").EnumerateArray().ToList();
            Assert.Equal(expected.Top.Select(c => c.Class), predictions.Select(p => p.GetProperty("class").GetString()));
            for (int i = 0; i < 3; i++)
                Assert.Equal(expected.Top[i].Probability, predictions[i].GetProperty("probability").GetDouble(), 6);
            Assert.True(json.RootElement.GetProperty("latency_ms").GetDouble() > 0);
            Assert.InRange(json.RootElement.GetProperty("batch_size").GetInt32(), 1, 32);
        }
    }

    [Fact]
    public async Task Predict_with_tta_hflip_gives_the_libraries_mirror_averaged_probabilities()
    {
        byte[] png = await File.ReadAllBytesAsync(served.Trouser);
        using var checkpoint = Checkpoint.Load(served.Run.Checkpoint);
        var expected = new Predictor(checkpoint.Model, checkpoint.Info.EvalTransform, checkpoint.Info.Classes, mirrorAveraged: true)
            .Predict(served.Trouser, 10);
        var single = new Predictor(checkpoint.Model, checkpoint.Info.EvalTransform, checkpoint.Info.Classes).Predict(served.Trouser, 10);

        using var byForm = await Client.PostAsync(Predict + "?top=10&tta=hflip", ServedLeNet.Form(png, "trouser.png"));
        using var byJson = await Client.PostAsJsonAsync(Predict, new { image = Convert.ToBase64String(png), top = 10, tta = "hflip" });

        foreach (var response in new[] { byForm, byJson })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            string body = await response.Content.ReadAsStringAsync();
            var actual = Probabilities(body, out _);
            foreach (var c in expected.Top) Assert.Equal(c.Probability, actual[c.Class], 5);
            // The mirror changed something, so the test tells averaging from a single view.
            Assert.Contains(single.Top, c => Math.Abs(c.Probability - actual[c.Class]) > 1e-4);
            using var json = JsonDocument.Parse(body);
            Assert.Equal("hflip", json.RootElement.GetProperty("test_time_augmentation").GetString());
        }

        using var refused = await Client.PostAsync(Predict + "?tta=rotate", ServedLeNet.Form(png));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("tta=rotate", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Concurrent_predictions_share_forward_passes_and_get_the_same_answers()
    {
        byte[] png = await File.ReadAllBytesAsync(served.Trouser);
        using var alone = await Client.PostAsync(Predict + "?top=10", ServedLeNet.Form(png));
        var reference = Probabilities(await alone.Content.ReadAsStringAsync(), out _);

        var responses = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => Client.PostAsync(Predict + "?top=10", ServedLeNet.Form(png))));

        var batchSizes = new List<int>();
        foreach (var response in responses)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var probabilities = Probabilities(await response.Content.ReadAsStringAsync(), out int batch);
            batchSizes.Add(batch);
            foreach (var (name, p) in reference) Assert.Equal(p, probabilities[name], 5);
            response.Dispose();
        }
        Assert.True(batchSizes.Max() > 1, $"no two of 24 concurrent requests shared a batch: {string.Join(",", batchSizes)}");
    }

    private static Dictionary<string, double> Probabilities(string body, out int batch)
    {
        using var json = JsonDocument.Parse(body);
        batch = json.RootElement.GetProperty("batch_size").GetInt32();
        return json.RootElement.GetProperty("predictions").EnumerateArray()
            .ToDictionary(p => p.GetProperty("class").GetString()!, p => p.GetProperty("probability").GetDouble());
    }

    [Fact]
    public async Task Explain_returns_an_overlay_and_on_request_the_raw_map()
    {
        byte[] png = await File.ReadAllBytesAsync(served.Trouser);
        using var response = await Client.PostAsync(Explain + "?method=gradcam&raw=true&class=1", ServedLeNet.Form(png));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal("gradcam", root.GetProperty("method").GetString());
        Assert.Equal("Trouser", root.GetProperty("target").GetProperty("class").GetString());
        using var overlay = SKBitmap.Decode(Convert.FromBase64String(root.GetProperty("overlay_png").GetString()!));
        Assert.True(overlay is { Width: >= 224 }, "the overlay is not a readable picture");
        var map = root.GetProperty("map");
        Assert.Equal(map.GetProperty("height").GetInt32() * map.GetProperty("width").GetInt32(), map.GetProperty("values").GetArrayLength());

        using var asPng = await Client.PostAsync(Explain + "?format=png&method=layercam", ServedLeNet.Form(png));
        Assert.Equal("image/png", asPng.Content.Headers.ContentType?.MediaType);
        using var bitmap = SKBitmap.Decode(await asPng.Content.ReadAsByteArrayAsync());
        Assert.NotNull(bitmap);
    }

    public static TheoryData<string, int, string> BadRequests => new()
    {
        { "not-an-image", 415, "is not an image" },
        { "empty", 400, "is empty" },
        { "truncated-jpeg", 422, "truncated" },
        { "declares-50000x50000", 413, "decompression bomb" },
        { "oversized-body", 413, "larger than this server accepts" },
        { "unknown-model", 404, "no model 'nope'" },
        { "no-file-field", 400, "no file field 'file'" },
        { "bad-base64", 400, "not valid base64" },
        { "unknown-method", 400, "unknown explanation method" },
        { "class-out-of-range", 400, "out of range" },
        { "top-zero", 400, "at least 1" },
        { "missing-api-key", 401, "X-Api-Key" },
        { "wrong-api-key", 403, "does not hold this server's API key" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_requests_get_their_status_with_problem_details_and_the_service_goes_on(string kind, int status, string detail)
    {
        using var response = await Send(kind);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Contains(detail, problem.RootElement.GetProperty("detail").GetString());

        using var good = await Client.PostAsync(Predict, ServedLeNet.Form(await File.ReadAllBytesAsync(served.Trouser)));
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    private async Task<HttpResponseMessage> Send(string kind)
    {
        byte[] png = await File.ReadAllBytesAsync(served.Trouser);
        return kind switch
        {
            "not-an-image" => await Client.PostAsync(Predict, ServedLeNet.Form("just some text"u8.ToArray(), "notes.png")),
            "empty" => await Client.PostAsync(Predict, ServedLeNet.Form([], "empty.png")),
            "truncated-jpeg" => await Client.PostAsync(Predict, ServedLeNet.Form(TruncatedJpeg(), "cut.jpg")),
            "declares-50000x50000" => await Client.PostAsync(Predict, ServedLeNet.Form(PngDeclaring(50_000, 50_000), "bomb.png")),
            // A client that sends a large body asks first (Expect: 100-continue); one that does not
            // may see the connection closed under it once the 413 is sent.
            "oversized-body" => await Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, Predict)
            {
                Content = ServedLeNet.Form(new byte[21 * 1024 * 1024], "huge.png"),
                Headers = { ExpectContinue = true },
            }),
            "unknown-model" => await Client.PostAsync("/api/models/nope/predict", ServedLeNet.Form(png)),
            "no-file-field" => await Client.PostAsync(Predict, new MultipartFormDataContent { { new ByteArrayContent(png), "picture", "a.png" } }),
            "bad-base64" => await Client.PostAsync(Predict, new StringContent("{\"image\": \"%%%not base64\"}", Encoding.UTF8, "application/json")),
            "unknown-method" => await Client.PostAsync(Explain + "?method=gradcan", ServedLeNet.Form(png)),
            "class-out-of-range" => await Client.PostAsync(Explain + "?class=10", ServedLeNet.Form(png)),
            "top-zero" => await Client.PostAsync(Predict + "?top=0", ServedLeNet.Form(png)),
            "missing-api-key" => await Client.PostAsJsonAsync("/api/train", new { config = new { model = "lenet5" } }),
            "wrong-api-key" => await Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/train")
            {
                Content = JsonContent.Create(new { config = new { model = "lenet5" } }),
                Headers = { { VisionLab.Server.Security.ApiKey.Header, "a-wrong-key-of-some-length" } },
            }),
            _ => throw new ArgumentException(kind),
        };
    }

    /// <summary>A noisy 128×128 JPEG cut off halfway through its compressed data.</summary>
    private static byte[] TruncatedJpeg()
    {
        var random = new Random(7);
        using var bitmap = new SKBitmap(128, 128);
        for (int y = 0; y < 128; y++)
        for (int x = 0; x < 128; x++)
            bitmap.SetPixel(x, y, new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        var whole = data.ToArray();
        return whole[..(whole.Length / 2)];
    }

    /// <summary>A few hundred bytes of PNG whose header declares <paramref name="width"/>×<paramref name="height"/> grey pixels.</summary>
    public static byte[] PngDeclaring(int width, int height)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth; colour type 0 (grey), no interlace
        Chunk(stream, "IHDR", header);
        Chunk(stream, "IDAT", [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]);
        Chunk(stream, "IEND", []);
        return stream.ToArray();
    }

    // PNG's CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320): decoders check it on the header.
    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    private static void Chunk(Stream stream, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        stream.Write(length);
        byte[] typed = [.. Encoding.ASCII.GetBytes(type), .. data];
        stream.Write(typed);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(length, Crc32(typed));
        stream.Write(length);
    }
}
