namespace VisionLab.Tuning;

/// <summary>
/// One tunable config value and the range a sampler draws it from. The key is a config path
/// (<c>optimizer.lr</c>); a drawn value travels as an invariant-culture override string
/// (<see cref="Format"/>), while samplers work on a number: the value itself for numeric ranges,
/// a category's index for <see cref="CategoricalDistribution"/>.
/// </summary>
public abstract class ParameterDistribution
{
    protected ParameterDistribution(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Any(char.IsWhiteSpace))
            throw new VisionLabException(
                $"'{key}' is not a config path (a name without spaces, like optimizer.lr)");
        Key = key;
    }

    /// <summary>The config path this parameter overrides, dots between levels.</summary>
    public string Key { get; }

    /// <summary>The type's name in search-space files: uniform, loguniform, int or categorical.</summary>
    public abstract string TypeName { get; }

    /// <summary>The override string for a sampler's number (a category index for categoricals).</summary>
    public abstract string Format(double value);

    /// <summary>
    /// Reads an override string back into the sampler's number. False when the text is not a value
    /// of this range (not a number, outside the bounds, off the step grid, an unknown category).
    /// </summary>
    public abstract bool TryParse(string text, out double value);

    /// <summary>A value drawn uniformly over the range (uniformly in log scale for log ranges).</summary>
    internal abstract double SampleUniform(TrialRandom random);

    /// <summary>A problem with this parameter's definition, named by its key.</summary>
    protected VisionLabException Problem(string what) => new($"{Key}: {what}");
}
