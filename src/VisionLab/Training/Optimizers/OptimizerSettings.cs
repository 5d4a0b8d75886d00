namespace VisionLab.Training.Optimizers;

/// <summary>
/// The optimiser section of a training configuration, one property per YAML key (snake_case:
/// <c>lr</c>, <c>weight_decay</c>, <c>no_decay_on_norm_and_bias</c>, …). Defaults are
/// torch.optim's, except SGD's momentum (0.9) and the default rates (<see cref="OptimizerFactory.DefaultLearningRate"/>).
/// </summary>
public sealed record OptimizerSettings
{
    /// <summary><c>sgd</c>, <c>adam</c>, <c>adamw</c> or <c>rmsprop</c>.</summary>
    public string Name { get; init; } = "sgd";

    /// <summary>Base learning rate; null: the optimiser's default.</summary>
    public double? Lr { get; init; }

    /// <summary>SGD's and RMSprop's momentum; null: 0.9 for SGD, 0 for RMSprop (torch's default).</summary>
    public double? Momentum { get; init; }

    /// <summary>Nesterov momentum (SGD only).</summary>
    public bool Nesterov { get; init; }

    public double WeightDecay { get; init; }

    /// <summary>Decay only the weights of convolutions and linear layers (<see cref="WeightDecayRule.NotOnNormAndBias"/>).</summary>
    public bool NoDecayOnNormAndBias { get; init; }

    /// <summary>Adam's β₁ and β₂.</summary>
    public IReadOnlyList<double> Betas { get; init; } = [0.9, 0.999];

    /// <summary>Added to the denominator of Adam and RMSprop.</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary>RMSprop's decay of the mean square.</summary>
    public double Alpha { get; init; } = 0.99;

    /// <summary>Centred RMSprop: divide by the gradient's estimated standard deviation rather than its root mean square.</summary>
    public bool Centered { get; init; }

    // Derived values are methods, not properties, so that serialising the settings writes only what was set.

    public OptimizerKind Kind() => OptimizerFactory.Parse(Name);

    /// <summary>The rate the run starts from: <see cref="Lr"/> or the optimiser's default.</summary>
    public double LearningRate() => Lr ?? OptimizerFactory.DefaultLearningRate(Kind());

    public WeightDecayRule DecayRule() => NoDecayOnNormAndBias ? WeightDecayRule.NotOnNormAndBias : WeightDecayRule.AllParameters;

    /// <summary>Refuses settings no optimiser could use, saying which key is wrong and why.</summary>
    public OptimizerSettings Validate()
    {
        var kind = Kind();
        if (Lr is { } lr && !(lr > 0 && double.IsFinite(lr)))
            throw new VisionLabException($"optimizer lr {lr} must be a positive number");
        if (!(WeightDecay >= 0 && double.IsFinite(WeightDecay)))
            throw new VisionLabException($"optimizer weight_decay {WeightDecay} must be zero or a positive number");
        if (Momentum is { } m && !(m >= 0 && m < 1))
            throw new VisionLabException($"optimizer momentum {m} must be in [0, 1)");
        if (Momentum is not null && kind is OptimizerKind.Adam or OptimizerKind.AdamW)
            throw new VisionLabException($"optimizer momentum does not apply to {Name}; set betas: [beta1, beta2] instead");
        if (Nesterov && kind != OptimizerKind.Sgd)
            throw new VisionLabException($"optimizer nesterov applies to sgd only, not {Name}");
        if (Nesterov && !(MomentumFor(kind) > 0))
            throw new VisionLabException("optimizer nesterov needs a momentum above 0");
        if (Centered && kind != OptimizerKind.RmsProp)
            throw new VisionLabException($"optimizer centered applies to rmsprop only, not {Name}");
        if (Betas.Count != 2 || Betas.Any(b => !(b >= 0 && b < 1)))
            throw new VisionLabException($"optimizer betas [{string.Join(", ", Betas)}] must be two numbers in [0, 1)");
        if (!(Eps > 0 && double.IsFinite(Eps)))
            throw new VisionLabException($"optimizer eps {Eps} must be a positive number");
        if (!(Alpha >= 0 && Alpha < 1))
            throw new VisionLabException($"optimizer alpha {Alpha} must be in [0, 1)");
        return this;
    }

    internal double MomentumFor(OptimizerKind kind) => Momentum ?? (kind == OptimizerKind.Sgd ? 0.9 : 0);
}
