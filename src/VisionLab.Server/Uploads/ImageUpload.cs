using System.Text.Json;
using VisionLab.Data.Images;
using VisionLab.Server.Api;

namespace VisionLab.Server.Uploads;

/// <summary>
/// The image a request carries: a multipart form's <c>file</c> field, or a JSON body
/// <c>{"image": "&lt;base64&gt;"}</c> (a <c>data:</c> URL is accepted too), with the other JSON
/// fields kept as options. The bytes are checked by their signature, not by the name or content
/// type the client gave.
/// </summary>
public sealed record ImageUpload(byte[] Bytes, string FileName, string Format, IReadOnlyDictionary<string, JsonElement> Fields)
{
    public const string FileField = "file";

    public static async Task<ImageUpload> ReadAsync(HttpRequest request, CancellationToken cancellation)
    {
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(cancellation);
            var file = form.Files.GetFile(FileField)
                ?? throw ApiProblem.BadRequest($"the form has no file field '{FileField}'");
            using var stream = file.OpenReadStream();
            using var buffer = new MemoryStream((int)Math.Min(file.Length, int.MaxValue));
            await stream.CopyToAsync(buffer, cancellation);
            return Checked(buffer.ToArray(), string.IsNullOrWhiteSpace(file.FileName) ? FileField : Path.GetFileName(file.FileName),
                new Dictionary<string, JsonElement>());
        }
        if (request.HasJsonContentType())
        {
            JsonDocument json;
            try
            {
                json = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellation);
            }
            catch (JsonException e)
            {
                throw ApiProblem.BadRequest($"the body is not valid JSON: {e.Message}");
            }
            using (json)
            {
                if (json.RootElement.ValueKind != JsonValueKind.Object
                    || !json.RootElement.TryGetProperty("image", out var image) || image.ValueKind != JsonValueKind.String)
                    throw ApiProblem.BadRequest("a JSON body needs a string field \"image\" holding the image in base64");
                var fields = json.RootElement.EnumerateObject().Where(p => p.Name != "image")
                    .ToDictionary(p => p.Name, p => p.Value.Clone());
                string name = fields.TryGetValue("file_name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "image";
                return Checked(Base64(image.GetString()!), name, fields);
            }
        }
        throw ApiProblem.UnsupportedMediaType(
            $"send the image as multipart/form-data (field '{FileField}') or as JSON {{\"image\": \"<base64>\"}}, not {request.ContentType ?? "a body without a content type"}");
    }

    private static byte[] Base64(string text)
    {
        // A data URL from a browser's FileReader: "data:image/png;base64,...."
        int comma = text.StartsWith("data:", StringComparison.Ordinal) ? text.IndexOf(',') : -1;
        try
        {
            return Convert.FromBase64String(comma >= 0 ? text[(comma + 1)..] : text);
        }
        catch (FormatException)
        {
            throw ApiProblem.BadRequest("the \"image\" field is not valid base64");
        }
    }

    private static ImageUpload Checked(byte[] bytes, string name, IReadOnlyDictionary<string, JsonElement> fields)
    {
        if (bytes.Length == 0) throw ApiProblem.BadRequest($"{name} is empty (0 bytes)");
        string format = ImageFormats.Sniff(bytes)
            ?? throw ApiProblem.UnsupportedMediaType($"{name} is not an image: its content is none of {string.Join(", ", ImageFormats.Supported)}");
        return new ImageUpload(bytes, name, format, fields);
    }

    /// <summary>A whole-number option from the query string or the JSON body (the query wins).</summary>
    public int? Integer(HttpRequest request, string key)
    {
        if (request.Query.TryGetValue(key, out var text))
            return int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int q)
                ? q : throw ApiProblem.BadRequest($"{key}={text} is not a whole number");
        if (!Fields.TryGetValue(key, out var value)) return null;
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int v) ? v : throw ApiProblem.BadRequest($"\"{key}\" must be a whole number");
    }

    /// <summary>A text option from the query string or the JSON body (the query wins).</summary>
    public string? Text(HttpRequest request, string key)
    {
        if (request.Query.TryGetValue(key, out var text)) return text.ToString();
        if (!Fields.TryGetValue(key, out var value)) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw ApiProblem.BadRequest($"\"{key}\" must be a string");
    }

    /// <summary>A yes/no option from the query string or the JSON body (the query wins).</summary>
    public bool Flag(HttpRequest request, string key)
    {
        if (request.Query.TryGetValue(key, out var text))
            return bool.TryParse(text, out bool q) ? q : throw ApiProblem.BadRequest($"{key}={text} is not true or false");
        if (!Fields.TryGetValue(key, out var value)) return false;
        return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : throw ApiProblem.BadRequest($"\"{key}\" must be true or false");
    }
}
