using System.Text;
using System.Text.Json;

namespace VisionLab.Tuning;

/// <summary>
/// The canonical JSON form of a search space, which a study stores and every worker compares as
/// text: <c>{"batch_size":{"type":"int","low":32,"high":256,"step":32,"log":false},…}</c>, keys in
/// ordinal order, every field present, no whitespace.
/// </summary>
internal static class SearchSpaceJson
{
    public static string Write(SearchSpace space)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var parameter in space.Parameters)
            {
                json.WriteStartObject(parameter.Key);
                json.WriteString("type", parameter.TypeName);
                switch (parameter)
                {
                    case FloatDistribution f:
                        json.WriteNumber("low", f.Low);
                        json.WriteNumber("high", f.High);
                        break;
                    case IntDistribution i:
                        json.WriteNumber("low", i.Low);
                        json.WriteNumber("high", i.High);
                        json.WriteNumber("step", i.Step);
                        json.WriteBoolean("log", i.Log);
                        break;
                    case CategoricalDistribution c:
                        json.WriteStartArray("choices");
                        foreach (var choice in c.Choices)
                            json.WriteStringValue(choice);
                        json.WriteEndArray();
                        break;
                    default:
                        throw new InvalidOperationException($"no JSON form for {parameter.GetType().Name}");
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static SearchSpace Read(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new VisionLabException("search space JSON: expected an object of parameters");
            var parameters = new List<ParameterDistribution>();
            foreach (var property in document.RootElement.EnumerateObject())
                parameters.Add(ReadParameter(property.Name, property.Value));
            return new SearchSpace(parameters);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new VisionLabException($"search space JSON: {e.Message}", e);
        }
    }

    private static ParameterDistribution ReadParameter(string key, JsonElement element)
    {
        var type = element.GetProperty("type").GetString();
        return type switch
        {
            "uniform" or "loguniform" => new FloatDistribution(key,
                element.GetProperty("low").GetDouble(), element.GetProperty("high").GetDouble(), type == "loguniform"),
            "int" => new IntDistribution(key,
                element.GetProperty("low").GetInt64(), element.GetProperty("high").GetInt64(),
                element.GetProperty("step").GetInt64(), element.GetProperty("log").GetBoolean()),
            "categorical" => new CategoricalDistribution(key,
                element.GetProperty("choices").EnumerateArray().Select(c => c.GetString() ?? "")),
            _ => throw new VisionLabException($"search space JSON: {key}: unknown type '{type}'"),
        };
    }
}
