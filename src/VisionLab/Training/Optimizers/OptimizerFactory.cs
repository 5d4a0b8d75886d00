namespace VisionLab.Training.Optimizers;

public enum OptimizerKind { Sgd, Adam, AdamW, RmsProp }

/// <summary>Builds an optimiser by name, as timm's <c>create_optimizer</c> does from a configuration.</summary>
public static class OptimizerFactory
{
    /// <summary>The names <see cref="Parse"/> accepts, in the order messages list them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["sgd", "adam", "adamw", "rmsprop"];

    /// <summary>The learning rate each optimiser starts from when none is given.</summary>
    public static double DefaultLearningRate(OptimizerKind kind) => kind switch
    {
        OptimizerKind.Sgd => 0.05,
        OptimizerKind.RmsProp => 0.01,
        _ => 1e-3,
    };

    /// <summary>An optimiser as <paramref name="settings"/> describe it, over <paramref name="parameters"/>.</summary>
    public static Optimizer Create(OptimizerSettings settings, FlatParameters parameters)
    {
        settings.Validate();
        var kind = settings.Kind();
        double lr = settings.LearningRate();
        return kind switch
        {
            OptimizerKind.Sgd => new Sgd(parameters, lr, settings.MomentumFor(kind), settings.WeightDecay,
                settings.Nesterov, settings.DecayRule()),
            OptimizerKind.Adam or OptimizerKind.AdamW => new Adam(parameters, lr, settings.Betas[0], settings.Betas[1],
                settings.Eps, settings.WeightDecay, decoupled: kind == OptimizerKind.AdamW, settings.DecayRule()),
            OptimizerKind.RmsProp => new RmsProp(parameters, lr, settings.Alpha, settings.Eps, settings.MomentumFor(kind),
                settings.Centered, settings.WeightDecay, settings.DecayRule()),
            _ => throw new ArgumentOutOfRangeException(nameof(settings), kind, null),
        };
    }

    /// <summary>The optimiser the command line's <c>--optimizer</c>, <c>--momentum</c> and
    /// <c>--weight-decay</c> describe; <paramref name="momentum"/> is SGD's (Adam keeps β₁ = 0.9).</summary>
    public static Optimizer Create(OptimizerKind kind, FlatParameters parameters, double learningRate,
        double momentum, double weightDecay) => kind switch
    {
        OptimizerKind.Sgd => new Sgd(parameters, learningRate, momentum, weightDecay),
        OptimizerKind.Adam => new Adam(parameters, learningRate, weightDecay: weightDecay),
        OptimizerKind.AdamW => new Adam(parameters, learningRate, weightDecay: weightDecay, decoupled: true),
        OptimizerKind.RmsProp => new RmsProp(parameters, learningRate, momentum: momentum, weightDecay: weightDecay),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static OptimizerKind Parse(string name) => name.ToLowerInvariant() switch
    {
        "sgd" => OptimizerKind.Sgd,
        "adam" => OptimizerKind.Adam,
        "adamw" => OptimizerKind.AdamW,
        "rmsprop" => OptimizerKind.RmsProp,
        _ => throw new VisionLabException($"unknown optimizer '{name}' (choose {string.Join(", ", Names)})"),
    };
}
