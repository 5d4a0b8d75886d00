namespace VisionLab.Tuning;

/// <summary>
/// One of a list of choices (<c>optimizer.name: {type: categorical, choices: [sgd, adamw]}</c>).
/// Samplers see a choice's index; the override is the choice's text.
/// </summary>
public sealed class CategoricalDistribution : ParameterDistribution
{
    public CategoricalDistribution(string key, IEnumerable<string> choices) : base(key)
    {
        Choices = choices.ToArray();
        if (Choices.Count == 0)
            throw Problem("choices must not be empty");
        var repeated = Choices.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
            throw Problem($"choice '{repeated.Key}' is listed more than once");
    }

    public IReadOnlyList<string> Choices { get; }

    public override string TypeName => "categorical";

    public override string Format(double value) => Choices[(int)value];

    public override bool TryParse(string text, out double value)
    {
        for (var i = 0; i < Choices.Count; i++)
        {
            if (string.Equals(Choices[i], text, StringComparison.Ordinal))
            {
                value = i;
                return true;
            }
        }
        value = -1;
        return false;
    }

    internal override double SampleUniform(TrialRandom random) => random.NextInt(Choices.Count);
}
