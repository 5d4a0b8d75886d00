namespace VisionLab.Tuning;

/// <summary>
/// The parameters a study tunes, each a config path with its range, read from a YAML file like
/// <code>
/// optimizer.lr: {type: loguniform, low: 1.0e-4, high: 0.3}
/// batch_size: {type: int, low: 32, high: 256, step: 32}
/// optimizer.name: {type: categorical, choices: [sgd, adamw]}
/// </code>
/// A trial's parameters are config overrides (<c>optimizer.lr</c> → <c>"0.0132"</c>). Parameters
/// are kept in ordinal key order, so the canonical JSON (<see cref="ToJson"/>) and the order in
/// which samplers draw do not depend on how the file was written.
/// </summary>
public sealed class SearchSpace
{
    private readonly Dictionary<string, ParameterDistribution> byKey;

    public SearchSpace(IEnumerable<ParameterDistribution> parameters)
    {
        Parameters = parameters.OrderBy(p => p.Key, StringComparer.Ordinal).ToArray();
        if (Parameters.Count == 0)
            throw new VisionLabException("search space: no parameters to tune");
        byKey = new Dictionary<string, ParameterDistribution>(StringComparer.Ordinal);
        foreach (var parameter in Parameters)
        {
            if (!byKey.TryAdd(parameter.Key, parameter))
                throw new VisionLabException($"search space: {parameter.Key} is defined more than once");
        }
    }

    /// <summary>Every parameter, in ordinal key order.</summary>
    public IReadOnlyList<ParameterDistribution> Parameters { get; }

    public ParameterDistribution this[string key] =>
        byKey.TryGetValue(key, out var parameter)
            ? parameter
            : throw new VisionLabException($"search space has no parameter '{key}'");

    /// <summary>Reads a search-space YAML file; errors name the file, the line and the key.</summary>
    public static SearchSpace Load(string path)
    {
        if (!File.Exists(path))
            throw new VisionLabException($"{path}: search space file not found");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Reads search-space YAML; <paramref name="source"/> names it in error messages.</summary>
    public static SearchSpace Parse(string yaml, string source = "search space") =>
        SearchSpaceYaml.Read(yaml, source);

    /// <summary>
    /// The canonical JSON form: keys in ordinal order, every field written, numbers in shortest
    /// round-trip form. Two workers pointed at one study compare it as text
    /// (<see cref="IStudyStorage.EnsureStudy"/>), so the same space always gives the same text.
    /// </summary>
    public string ToJson() => SearchSpaceJson.Write(this);

    /// <summary>Reads the canonical JSON form back (a study's space as stored).</summary>
    public static SearchSpace FromJson(string json) => SearchSpaceJson.Read(json);
}
