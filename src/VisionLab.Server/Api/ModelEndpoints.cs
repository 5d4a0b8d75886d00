using System.Diagnostics;
using VisionLab.Explain;
using VisionLab.Inference;
using VisionLab.Reporting;
using VisionLab.Server.Models;
using VisionLab.Server.Uploads;

namespace VisionLab.Server.Api;

/// <summary>
/// The served models: what they are (<c>GET /api/models</c>), what they see in an image
/// (<c>POST /api/models/{name}/predict</c>) and where they found it (<c>POST /api/models/{name}/explain</c>).
/// The image comes as a multipart form's <c>file</c> field or as JSON <c>{"image": base64}</c>;
/// options come in the query string or, for JSON, as fields beside the image.
/// </summary>
public static class ModelEndpoints
{
    /// <summary>Classes a prediction lists unless asked (<c>top</c>).</summary>
    public const int DefaultTop = 5;

    public static void MapModelEndpoints(this IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/api/models").WithTags("models");
        models.MapGet("/", (ModelCatalog catalog) => catalog.All.Select(Describe))
            .WithSummary("The served models: classes, input size, parameters, accuracy");
        models.MapPost("/{name}/predict", Predict)
            .WithSummary("Top-k classes of an uploaded image, with probabilities and latency")
            .Accepts<IFormFile>("multipart/form-data", "application/json").DisableAntiforgery();
        models.MapPost("/{name}/explain", ExplainImage)
            .WithSummary("A heat map of where the model found the evidence for a class (PNG, or JSON with the raw map)")
            .Accepts<IFormFile>("multipart/form-data", "application/json").DisableAntiforgery();
    }

    public sealed record ModelDescription(string Name, string Architecture, IReadOnlyList<string> Classes, InputDescription Input,
        long Parameters, double? TestAccuracy, int Epoch, string Data, string Checkpoint);

    public sealed record InputDescription(int Channels, int Height, int Width, float[] Mean, float[] Std);

    private static ModelDescription Describe(ServedModel m)
    {
        var t = m.Info.EvalTransform;
        return new ModelDescription(m.Name, m.Info.Model, m.Info.Classes, new InputDescription(t.Channels, t.Height, t.Width, t.Mean, t.Std),
            m.Parameters, m.Info.TestAccuracy, m.Info.Epoch, m.Info.Data, m.Checkpoint);
    }

    /// <param name="TestTimeAugmentation">"hflip" when the probabilities are averaged with the mirror's, else null.</param>
    /// <param name="BatchSize">Images in the forward pass the image shared (with its mirror, the larger of two).</param>
    public sealed record PredictResponse(string Model, string Image, IReadOnlyList<ClassProbability> Predictions, double LatencyMs,
        double QueueMs, double ComputeMs, int BatchSize, string? TestTimeAugmentation);

    private static async Task<PredictResponse> Predict(string name, HttpRequest request, ModelCatalog catalog, CancellationToken cancellation)
    {
        long started = Stopwatch.GetTimestamp();
        var model = Find(catalog, name);
        var upload = await ImageUpload.ReadAsync(request, cancellation);
        int top = upload.Integer(request, "top") ?? DefaultTop;
        if (top < 1) throw ApiProblem.BadRequest($"top={top} must be at least 1");
        string tta = upload.Text(request, "tta") ?? "none";
        if (tta is not ("none" or MirrorAveraged.Name)) throw ApiProblem.BadRequest($"tta={tta}: none or {MirrorAveraged.Name}");
        bool mirrored = tta == MirrorAveraged.Name;
        var input = model.Prepare(upload.Bytes, upload.FileName);
        // The mirror goes through the queue beside the image, so both join the batches of other requests.
        var results = await Task.WhenAll(mirrored
            ? [model.Queue.ClassifyAsync(input), model.Queue.ClassifyAsync(model.Mirrored(input))]
            : new[] { model.Queue.ClassifyAsync(input) });
        var probabilities = results[0].Probabilities.Select((p, i) => results.Average(r => r.Probabilities[i]));
        var ranked = probabilities.Select((p, i) => new ClassProbability(ClassName(model, i), i, p))
            .OrderByDescending(c => c.Probability).ThenBy(c => c.Index).Take(top).ToArray();
        return new PredictResponse(model.Name, upload.FileName, ranked, Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            results.Max(r => r.QueueMilliseconds), results.Max(r => r.ComputeMilliseconds), results.Max(r => r.BatchSize),
            mirrored ? tta : null);
    }

    public sealed record ExplainResponse(string Model, string Image, string Method, string Title, string? Layer, ClassProbability Target,
        ClassProbability Predicted, string OverlayPng, MapValues? Map, double LatencyMs);

    /// <summary>The method's raw map at its own resolution, row by row.</summary>
    public sealed record MapValues(int Height, int Width, float[] Values);

    private static async Task<IResult> ExplainImage(string name, HttpRequest request, ModelCatalog catalog, CancellationToken cancellation)
    {
        long started = Stopwatch.GetTimestamp();
        var model = Find(catalog, name);
        var upload = await ImageUpload.ReadAsync(request, cancellation);
        IExplanationMethod method;
        try
        {
            method = ExplanationMethods.Find(upload.Text(request, "method") ?? "gradcam");
        }
        catch (VisionLabException e)
        {
            throw ApiProblem.BadRequest(e.Message);
        }
        var target = upload.Integer(request, "class") is int k ? ClassSelection.Class(k) : ClassSelection.Predicted;
        target.Validate(model.Info.NumClasses);
        string format = upload.Text(request, "format") ?? "json";
        if (format is not ("json" or "png")) throw ApiProblem.BadRequest($"format={format}: json or png");

        var explained = await model.ExplainAsync(upload.Bytes, upload.FileName, method, target, upload.Text(request, "layer"));
        using var picture = explained.Picture;
        var explanation = explained.Explanations[0];
        byte[] png = HeatmapOverlay.RenderPng(picture, explanation);
        if (format == "png") return Results.File(png, "image/png");
        var map = upload.Flag(request, "raw") ? new MapValues(explanation.Map.Height, explanation.Map.Width, explanation.Map.Values) : null;
        return Results.Ok(new ExplainResponse(model.Name, upload.FileName, explanation.Method, explanation.Title, explanation.Layer,
            explanation.Target, explained.Predicted, Convert.ToBase64String(png), map, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
    }

    private static ServedModel Find(ModelCatalog catalog, string name) => catalog.Find(name)
        ?? throw ApiProblem.NotFound($"no model '{name}' is served here; GET /api/models lists them ({string.Join(", ", catalog.All.Select(m => m.Name))})");

    private static string ClassName(ServedModel model, int index) =>
        index < model.Info.Classes.Count ? model.Info.Classes[index] : $"class {index}";
}
