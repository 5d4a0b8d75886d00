using VisionLab.Tuning;

namespace VisionLab.Tests.Tuning;

/// <summary>Builds trial records for tests.</summary>
internal static class TrialHistory
{
    public static TrialRecord Complete(int number, double value, params double[] intermediate) =>
        new(number, TrialState.Complete, new Dictionary<string, string>(), value, intermediate);

    public static TrialRecord Pruned(int number, params double[] intermediate) =>
        new(number, TrialState.Pruned, new Dictionary<string, string>(),
            intermediate.Length > 0 ? intermediate[^1] : null, intermediate);

    public static TrialRecord Running(int number, params double[] intermediate) =>
        new(number, TrialState.Running, new Dictionary<string, string>(), null, intermediate);

    public static TrialRecord Failed(int number) =>
        new(number, TrialState.Failed, new Dictionary<string, string>(), null, []);

    public static TrialRecord WithParameters(this TrialRecord trial, IReadOnlyDictionary<string, string> parameters) =>
        trial with { Parameters = parameters };
}
