using System.Text.Json;
using System.Text.Json.Serialization;

namespace VisionLab.Cli.Rendering;

/// <summary>The one place --json output is written: snake_case, indented, to stdout.</summary>
public static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static void Write<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Options));

    /// <summary>The same JSON as bytes, for files a verb writes beside its output.</summary>
    public static byte[] ToUtf8Bytes<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);
}
