using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace VisionLab.Tuning;

/// <summary>
/// Reads a search-space YAML file: a mapping from config paths to ranges. Errors say where
/// (file, line, key) and what is wrong, so a user can fix the file from the message alone.
/// </summary>
internal static class SearchSpaceYaml
{
    private static readonly string[] FloatFields = ["type", "low", "high"];
    private static readonly string[] GenericFloatFields = ["type", "low", "high", "log"];
    private static readonly string[] IntFields = ["type", "low", "high", "step", "log"];
    private static readonly string[] CategoricalFields = ["type", "choices"];
    private const string KnownTypes = "uniform, loguniform, float, int, categorical";

    public static SearchSpace Read(string yaml, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new VisionLabException($"{source}: line {e.Start.Line}: not valid YAML ({Reason(e)})", e);
        }

        if (stream.Documents.Count == 0)
            throw new VisionLabException($"{source}: the search space is empty");
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new VisionLabException(
                $"{source}: expected a mapping from config paths to ranges, like 'optimizer.lr: {{type: loguniform, low: 1.0e-4, high: 0.3}}'");

        if (root.Children.Count == 0)
            throw new VisionLabException($"{source}: no parameters to tune");

        var parameters = new List<ParameterDistribution>();
        foreach (var (keyNode, valueNode) in root.Children)
        {
            var key = ((keyNode as YamlScalarNode)?.Value) ?? "";
            var where = $"{source}: line {keyNode.Start.Line}";
            try
            {
                parameters.Add(ReadParameter(key, valueNode));
            }
            catch (VisionLabException e)
            {
                throw new VisionLabException($"{where}: {e.Message}", e);
            }
        }

        try
        {
            return new SearchSpace(parameters);
        }
        catch (VisionLabException e)
        {
            throw new VisionLabException($"{source}: {e.Message}", e);
        }
    }

    private static ParameterDistribution ReadParameter(string key, YamlNode node)
    {
        if (string.IsNullOrEmpty(key))
            throw new VisionLabException("every key must be a config path, like optimizer.lr");
        if (node is not YamlMappingNode mapping)
            throw new VisionLabException(
                $"{key}: expected a range like {{type: uniform, low: 0.0, high: 0.2}}");

        var fields = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (name, value) in mapping.Children)
            fields[(name as YamlScalarNode)?.Value ?? ""] = value;

        if (!fields.TryGetValue("type", out var typeNode))
        {
            var nested = fields.Values.Any(v => v is YamlMappingNode);
            throw new VisionLabException(nested
                ? $"{key}: missing 'type' (write nested settings as one dotted key, like {key}.{fields.Keys.First()}: {{type: ...}})"
                : $"{key}: missing 'type' (one of {KnownTypes})");
        }

        var type = Scalar(key, "type", typeNode);
        switch (type)
        {
            case "uniform":
            case "loguniform":
                CheckFields(key, type, fields, FloatFields);
                return new FloatDistribution(key, Number(key, fields, "low"), Number(key, fields, "high"), log: type == "loguniform");
            case "float":
                CheckFields(key, type, fields, GenericFloatFields);
                return new FloatDistribution(key, Number(key, fields, "low"), Number(key, fields, "high"),
                    log: OptionalBool(key, fields, "log"));
            case "int":
                CheckFields(key, type, fields, IntFields);
                return new IntDistribution(key, Whole(key, fields, "low"), Whole(key, fields, "high"),
                    fields.ContainsKey("step") ? Whole(key, fields, "step") : 1, OptionalBool(key, fields, "log"));
            case "categorical":
                CheckFields(key, type, fields, CategoricalFields);
                return new CategoricalDistribution(key, Choices(key, fields));
            default:
                throw new VisionLabException($"{key}: unknown type '{type}' (one of {KnownTypes})");
        }
    }

    private static void CheckFields(string key, string type, Dictionary<string, YamlNode> fields, string[] allowed)
    {
        var unknown = fields.Keys.FirstOrDefault(f => !allowed.Contains(f));
        if (unknown is not null)
            throw new VisionLabException(
                $"{key}: unknown field '{unknown}' for type {type} (allowed: {string.Join(", ", allowed)})");
    }

    private static string Scalar(string key, string field, YamlNode node) =>
        node is YamlScalarNode { Value: { } text }
            ? text
            : throw new VisionLabException($"{key}: {field} must be a single value");

    private static string Required(string key, Dictionary<string, YamlNode> fields, string field) =>
        fields.TryGetValue(field, out var node)
            ? Scalar(key, field, node)
            : throw new VisionLabException($"{key}: missing '{field}'");

    private static double Number(string key, Dictionary<string, YamlNode> fields, string field)
    {
        var text = Required(key, fields, field);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new VisionLabException($"{key}: {field} '{text}' is not a number");
    }

    private static long Whole(string key, Dictionary<string, YamlNode> fields, string field)
    {
        var text = Required(key, fields, field);
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new VisionLabException($"{key}: {field} '{text}' is not a whole number");
    }

    private static bool OptionalBool(string key, Dictionary<string, YamlNode> fields, string field)
    {
        if (!fields.TryGetValue(field, out var node))
            return false;
        var text = Scalar(key, field, node);
        return bool.TryParse(text, out var value)
            ? value
            : throw new VisionLabException($"{key}: {field} '{text}' must be true or false");
    }

    private static List<string> Choices(string key, Dictionary<string, YamlNode> fields)
    {
        if (!fields.TryGetValue("choices", out var node))
            throw new VisionLabException($"{key}: missing 'choices'");
        if (node is not YamlSequenceNode sequence)
            throw new VisionLabException($"{key}: choices must be a list, like [sgd, adamw]");
        return sequence.Children
            .Select(c => c is YamlScalarNode { Value: { } text }
                ? text
                : throw new VisionLabException($"{key}: every choice must be a single value"))
            .ToList();
    }

    // YamlDotNet prefixes messages with "(Line: …, Col: …, Idx: …) - (…): "; the line is already said.
    private static string Reason(YamlException e)
    {
        var message = e.InnerException?.Message ?? e.Message;
        var cut = message.LastIndexOf("): ", StringComparison.Ordinal);
        return cut >= 0 ? message[(cut + 3)..] : message;
    }
}
