using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace VisionLab.Training;

/// <summary>
/// Experiments as YAML files: reading one into a <see cref="TrainingConfig"/>, overriding any key
/// from the command line (<c>--set optimizer.lr=0.01</c>), and writing the resolved config back.
/// <para>
/// The YAML is read into a JSON tree first (plain scalars become numbers, booleans or null where
/// they read as such; quoted scalars stay strings), overrides are applied to the tree, and the tree is
/// bound to the record by System.Text.Json with snake_case names. So a file, an override and a
/// run folder's <c>config.json</c> all mean the same thing, a misspelt key is an error that names it
/// rather than a silently ignored line, and keys left out keep the record's defaults.
/// </para>
/// </summary>
public static class ExperimentConfig
{
    private static readonly JsonSerializerOptions Binding = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        Converters = { new LenientStringConverter() },
    };

    /// <summary>The config a YAML file (or none: all defaults) and then overrides describe.</summary>
    /// <param name="overrides"><c>key.path=value</c> assignments, applied in order; the value is read
    /// as a YAML scalar or flow collection (<c>[30, 60]</c>, <c>{decay: 0.999}</c>).</param>
    public static TrainingConfig Load(string? yamlPath, IEnumerable<string> overrides)
    {
        var tree = yamlPath is null ? new JsonObject() : ReadYamlFile(yamlPath);
        foreach (string assignment in overrides) Set(tree, assignment);
        return Bind(tree, yamlPath ?? "the command line");
    }

    /// <summary>A YAML file as a JSON tree; its top level must be a mapping.</summary>
    public static JsonObject ReadYamlFile(string path)
    {
        if (!File.Exists(path)) throw new VisionLabException($"config {path}: file not found");
        try
        {
            var node = ParseYaml(File.ReadAllText(path));
            return node as JsonObject ?? (node is null ? new JsonObject()
                : throw new VisionLabException($"config {path}: expected keys and values (a YAML mapping) at the top level"));
        }
        catch (YamlException e)
        {
            throw new VisionLabException($"config {path}: not valid YAML at line {e.Start.Line}, column {e.Start.Column} ({e.Message.TrimEnd('.')})", e);
        }
    }

    /// <summary>Applies one <c>key.path=value</c> override, creating sections as needed.</summary>
    public static void Set(JsonObject tree, string assignment)
    {
        int equals = assignment.IndexOf('=');
        if (equals <= 0)
            throw new VisionLabException($"--set '{assignment}': expected key=value, e.g. optimizer.lr=0.01");
        JsonNode? value;
        try
        {
            value = ParseYaml(assignment[(equals + 1)..]);
        }
        catch (YamlException e)
        {
            throw new VisionLabException($"--set '{assignment}': the value is not valid YAML ({e.Message.TrimEnd('.')})", e);
        }
        Set(tree, assignment[..equals].Trim(), value);
    }

    /// <summary>Sets the value at a dotted key path, creating sections as needed.</summary>
    public static void Set(JsonObject tree, string keyPath, JsonNode? value)
    {
        var keys = keyPath.Split('.');
        if (keys.Any(k => k.Length == 0)) throw new VisionLabException($"config key '{keyPath}' has an empty part");
        var section = tree;
        foreach (string key in keys[..^1])
        {
            if (section[key] is not JsonObject child)
            {
                if (section[key] is not null)
                    throw new VisionLabException($"config key '{keyPath}': '{key}' is a value, not a section");
                section[key] = child = new JsonObject();
            }
            section = child;
        }
        section[keys[^1]] = value;
    }

    /// <summary>Binds a tree to the record; <paramref name="source"/> names it in messages.</summary>
    public static TrainingConfig Bind(JsonObject tree, string source)
    {
        try
        {
            return tree.Deserialize<TrainingConfig>(Binding) ?? new TrainingConfig();
        }
        catch (JsonException e)
        {
            string key = KeyPath(e.Path);
            string problem = e.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? $"unknown key '{UnmappedKey(e.Message, key)}'"
                : $"key '{key}' has a value of the wrong kind ({FirstSentence(e.Message)})";
            throw new VisionLabException($"config {source}: {problem}", e);
        }
    }

    /// <summary>The config as JSON text, every key snake_case: the run folder's <c>config.json</c>.</summary>
    public static byte[] ToJson(TrainingConfig config) => JsonSerializer.SerializeToUtf8Bytes(config, new JsonSerializerOptions(Binding) { WriteIndented = true });

    /// <summary>Reads a run folder's <c>config.json</c>.</summary>
    public static TrainingConfig ReadJson(string path)
    {
        if (!File.Exists(path)) throw new VisionLabException($"{path}: file not found");
        var tree = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                   ?? throw new VisionLabException($"{path}: expected a JSON object");
        return Bind(tree, path);
    }

    /// <summary>The config as YAML, keys in the record's order, unset optional sections left out:
    /// the run folder's <c>config.yaml</c>, which <see cref="Load"/> reads back to the same record.</summary>
    public static string ToYaml(TrainingConfig config)
    {
        var tree = JsonSerializer.SerializeToNode(config, Binding)!.AsObject();
        var text = new StringBuilder();
        WriteMapping(text, tree, 0);
        return text.ToString();
    }

    private static void WriteMapping(StringBuilder text, JsonObject mapping, int indent)
    {
        foreach (var (key, value) in mapping)
        {
            if (value is null) continue;
            text.Append(' ', indent).Append(key).Append(':');
            if (value is JsonObject child)
            {
                text.Append('\n');
                WriteMapping(text, child, indent + 2);
            }
            else
            {
                text.Append(' ').Append(Scalar(value)).Append('\n');
            }
        }
    }

    /// <summary>A scalar or a list in YAML flow style. Strings are written as JSON strings, which
    /// YAML reads as double-quoted scalars, so no string is mistaken for a number or a boolean.</summary>
    private static string Scalar(JsonNode value) => value switch
    {
        JsonArray list => "[" + string.Join(", ", list.Select(item => item is null ? "null" : Scalar(item))) + "]",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => value.ToJsonString(),
        _ => value.ToJsonString(),
    };

    private static JsonNode? ParseYaml(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Count == 0 ? null : ToJson(stream.Documents[0].RootNode);
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", ToJson(kv.Value)))),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => ScalarToJson(scalar),
        _ => throw new VisionLabException($"unsupported YAML node at line {node.Start.Line}"),
    };

    /// <summary>YAML 1.2's core schema for plain scalars: null, booleans, integers and floats; everything else, and every quoted scalar, a string.</summary>
    private static JsonNode? ScalarToJson(YamlScalarNode scalar)
    {
        string value = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
            return JsonValue.Create(value);
        if (value is "" or "~" or "null" or "Null" or "NULL") return null;
        if (value is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (value is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long integer)) return JsonValue.Create(integer);
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) && double.IsFinite(number))
            return JsonValue.Create(number);
        return JsonValue.Create(value);
    }

    /// <summary>Text keys take what YAML read as a number or a boolean as its text, so
    /// <c>--set data=2024</c> or <c>augment: none</c> never fail for looking like something else.</summary>
    private sealed class LenientStringConverter : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.True => "true",
            JsonTokenType.False => "false",
            JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
            JsonTokenType.Null => null,
            _ => throw new JsonException($"expected text, found {reader.TokenType}"),
        };

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    /// <summary>"$.optimizer.lr" → "optimizer.lr".</summary>
    private static string KeyPath(string? jsonPath) => (jsonPath ?? "$").TrimStart('$').TrimStart('.');

    private static string UnmappedKey(string message, string path)
    {
        // "The JSON property 'lrr' could not be mapped to any .NET member contained in type ..."
        int start = message.IndexOf('\'') + 1, end = start > 0 ? message.IndexOf('\'', start) : -1;
        string key = end > start ? message[start..end] : "?";
        string section = path.Contains('.') ? path[..path.LastIndexOf('.')] : "";
        return section.Length == 0 || path == key ? key : path.EndsWith("." + key, StringComparison.Ordinal) ? path : $"{section}.{key}";
    }

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(". ", StringComparison.Ordinal);
        return (end > 0 ? message[..end] : message).TrimEnd('.');
    }
}
