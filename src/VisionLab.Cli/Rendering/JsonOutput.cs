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

    private static readonly JsonSerializerOptions OneLine = new(Options) { WriteIndented = false };

    public static void Write<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Options));

    /// <summary>One compact line, for a verb that goes on running after it (a program reading its
    /// output can take the line as soon as it comes).</summary>
    public static void WriteLine<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, OneLine));

    /// <summary>The same JSON as bytes, for files a verb writes beside its output.</summary>
    public static byte[] ToUtf8Bytes<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);
}
