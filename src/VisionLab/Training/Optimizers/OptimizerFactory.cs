namespace VisionLab.Training.Optimizers;

public enum OptimizerKind { Sgd, Adam, AdamW }

public static class OptimizerFactory
{
    /// <summary>The learning rate each optimiser starts from when none is given.</summary>
    public static double DefaultLearningRate(OptimizerKind kind) => kind == OptimizerKind.Sgd ? 0.05 : 1e-3;

    public static Optimizer Create(OptimizerKind kind, FlatParameters parameters, double learningRate,
        double momentum, double weightDecay) => kind switch
    {
        OptimizerKind.Sgd => new Sgd(parameters, learningRate, momentum, weightDecay),
        OptimizerKind.Adam => new Adam(parameters, learningRate, weightDecay: weightDecay),
        OptimizerKind.AdamW => new Adam(parameters, learningRate, weightDecay: weightDecay, decoupled: true),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static OptimizerKind Parse(string name) => name.ToLowerInvariant() switch
    {
        "sgd" => OptimizerKind.Sgd,
        "adam" => OptimizerKind.Adam,
        "adamw" => OptimizerKind.AdamW,
        _ => throw new VisionLabException($"unknown optimizer '{name}' (choose sgd, adam or adamw)"),
    };
}
