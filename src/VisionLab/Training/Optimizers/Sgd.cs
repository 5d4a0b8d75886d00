using VisionLab.Runtime;
using static TorchSharp.torch;

namespace VisionLab.Training.Optimizers;

/// <summary>
/// Stochastic gradient descent with momentum, Nesterov momentum (Sutskever et al. 2013) and
/// coupled weight decay, as torch.optim.SGD defines them (dampening 0): the buffer starts as the
/// first gradient, b ← μb + g, and the step is b, or g + μb with Nesterov.
/// </summary>
public sealed class Sgd : Optimizer
{
    private double momentum;

    public Sgd(FlatParameters parameters, double learningRate, double momentum = 0.9, double weightDecay = 0,
        bool nesterov = false, WeightDecayRule decayRule = WeightDecayRule.AllParameters)
        : base(parameters, learningRate, weightDecay, decayRule)
    {
        if (nesterov && !(momentum > 0))
            throw new VisionLabException($"Nesterov momentum needs a momentum above 0, not {momentum}");
        Momentum = momentum;
        Nesterov = nesterov;
    }

    public override string Name => "sgd";

    public bool Nesterov { get; }

    public override double Momentum
    {
        get => momentum;
        set
        {
            if (!(value >= 0 && value < 1)) throw new VisionLabException($"SGD momentum {value} must be in [0, 1)");
            momentum = value;
        }
    }

    protected override IEnumerable<string> StateNames => momentum != 0 || HasState("momentum_buffer") ? ["momentum_buffer"] : [];

    protected override void Update(Tensor values, Tensor gradients)
    {
        if (momentum == 0)
        {
            // p − rate·(g + λp) = (1 − rate·λ)p − rate·g: without momentum, coupled decay is decoupled decay.
            DecayDecoupled(values, LearningRate);
            Descend(values, gradients, LearningRate);
            return;
        }
        bool first = !HasState("momentum_buffer");
        var buffer = StateLike("momentum_buffer");
        if (Nesterov)
        {
            var gradient = DecayedGradient(values, gradients);
            if (first) buffer.copy_(gradient);
            else buffer.TimesInPlace(momentum).PlusInPlace(gradient);
            Descend(values, gradient.PlusScaled(buffer, momentum), LearningRate);
            return;
        }
        // b ← μb + g + λp, summed in the buffer itself (torch forms g + λp first; the difference is rounding).
        if (first) buffer.copy_(gradients);
        else buffer.TimesInPlace(momentum).PlusInPlace(gradients);
        AddDecay(buffer, values);
        Descend(values, buffer, LearningRate);
    }
}
