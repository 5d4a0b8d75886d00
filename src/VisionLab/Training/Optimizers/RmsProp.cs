using VisionLab.Runtime;
using static TorchSharp.torch;

namespace VisionLab.Training.Optimizers;

/// <summary>
/// RMSprop (Hinton, Coursera lecture 6e, 2012) as torch.optim.RMSprop computes it: the gradient
/// divided by the root of its running mean square (ε added outside the root), optionally centred
/// by subtracting the squared running mean (Graves 2013), optionally with a momentum buffer of
/// those normalised steps, and coupled weight decay.
/// </summary>
public sealed class RmsProp : Optimizer
{
    private double momentum;

    public RmsProp(FlatParameters parameters, double learningRate, double alpha = 0.99, double epsilon = 1e-8,
        double momentum = 0, bool centered = false, double weightDecay = 0,
        WeightDecayRule decayRule = WeightDecayRule.AllParameters)
        : base(parameters, learningRate, weightDecay, decayRule)
    {
        if (!(alpha >= 0 && alpha < 1)) throw new VisionLabException($"RMSprop alpha {alpha} must be in [0, 1)");
        if (!(epsilon > 0)) throw new VisionLabException($"RMSprop epsilon {epsilon} must be positive");
        Alpha = alpha;
        Epsilon = epsilon;
        Momentum = momentum;
        Centered = centered;
    }

    public override string Name => "rmsprop";

    /// <summary>Decay of the running mean square.</summary>
    public double Alpha { get; }
    public double Epsilon { get; }
    public bool Centered { get; }

    public override double Momentum
    {
        get => momentum;
        set
        {
            if (!(value >= 0 && value < 1)) throw new VisionLabException($"RMSprop momentum {value} must be in [0, 1)");
            momentum = value;
        }
    }

    protected override IEnumerable<string> StateNames
    {
        get
        {
            yield return "square_avg";
            if (Centered) yield return "grad_avg";
            if (momentum > 0 || HasState("momentum_buffer")) yield return "momentum_buffer";
        }
    }

    protected override void Update(Tensor values, Tensor gradients)
    {
        var gradient = DecayedGradient(values, gradients);
        var squareMean = StateLike("square_avg");
        squareMean.TimesInPlace(Alpha).PlusProductInPlace(gradient, gradient, 1 - Alpha);
        Tensor average;
        if (Centered)
        {
            var mean = StateLike("grad_avg");
            mean.TimesInPlace(Alpha).PlusScaledInPlace(gradient, 1 - Alpha);
            average = squareMean.PlusProduct(mean, mean, -1).sqrt_();
        }
        else
        {
            average = squareMean.sqrt();
        }
        average.PlusInPlace(Epsilon);
        if (momentum > 0)
        {
            var buffer = StateLike("momentum_buffer");
            buffer.TimesInPlace(momentum).PlusQuotientInPlace(gradient, average);
            Descend(values, buffer, LearningRate);
        }
        else
        {
            Descend(values, gradient, average, LearningRate);
        }
    }
}
