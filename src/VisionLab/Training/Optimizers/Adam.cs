using VisionLab.Runtime;
using static TorchSharp.torch;

namespace VisionLab.Training.Optimizers;

/// <summary>
/// Adam (Kingma and Ba, 2015) as torch.optim.Adam computes it — coupled weight decay, the L2 term
/// added to the gradient — or with decoupled weight decay, AdamW (Loshchilov and Hutter, 2019), as
/// torch.optim.AdamW: the weights shrink by rate·λ before the Adam step, apart from the moments.
/// </summary>
public sealed class Adam : Optimizer
{
    private double beta1;

    public Adam(FlatParameters parameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999,
        double epsilon = 1e-8, double weightDecay = 0, bool decoupled = false,
        WeightDecayRule decayRule = WeightDecayRule.AllParameters)
        : base(parameters, learningRate, weightDecay, decayRule)
    {
        if (!(beta2 >= 0 && beta2 < 1)) throw new VisionLabException($"Adam beta2 {beta2} must be in [0, 1)");
        if (!(epsilon > 0)) throw new VisionLabException($"Adam epsilon {epsilon} must be positive");
        Momentum = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        Decoupled = decoupled;
    }

    public override string Name => Decoupled ? "adamw" : "adam";

    /// <summary>β₁, the decay of the gradient's running mean.</summary>
    public override double Momentum
    {
        get => beta1;
        set
        {
            if (!(value >= 0 && value < 1)) throw new VisionLabException($"Adam beta1 {value} must be in [0, 1)");
            beta1 = value;
        }
    }

    public double Beta2 { get; }
    public double Epsilon { get; }
    public bool Decoupled { get; }

    protected override IEnumerable<string> StateNames => ["exp_avg", "exp_avg_sq"];

    protected override void Update(Tensor values, Tensor gradients)
    {
        Tensor gradient;
        if (Decoupled)
        {
            DecayDecoupled(values, LearningRate);
            gradient = gradients;
        }
        else
        {
            gradient = DecayedGradient(values, gradients);
        }
        var mean = StateLike("exp_avg");
        var variance = StateLike("exp_avg_sq");
        mean.TimesInPlace(beta1).PlusScaledInPlace(gradient, 1 - beta1);
        variance.TimesInPlace(Beta2).PlusProductInPlace(gradient, gradient, 1 - Beta2);
        // torch's bias corrections use the current β₁, so a one-cycle schedule moving it is followed too.
        double correction1 = 1 - Math.Pow(beta1, StepCount);
        double correction2 = 1 - Math.Pow(Beta2, StepCount);
        var denominator = variance.sqrt().DividedByInPlace(Math.Sqrt(correction2)).PlusInPlace(Epsilon);
        Descend(values, mean, denominator, LearningRate / correction1);
    }
}
