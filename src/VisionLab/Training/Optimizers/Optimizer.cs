using static TorchSharp.torch;

namespace VisionLab.Training.Optimizers;

/// <summary>
/// An optimiser over a model's <see cref="FlatParameters"/>. Its whole state is a set of named
/// tensors, so a checkpoint can hold it and a resumed run continue exactly.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly Dictionary<string, Tensor> state = [];

    protected Optimizer(FlatParameters parameters, double learningRate)
    {
        if (!(learningRate > 0))
            throw new VisionLabException($"learning rate {learningRate} must be positive");
        Parameters = parameters;
        LearningRate = learningRate;
    }

    public FlatParameters Parameters { get; }

    /// <summary>The rate the next step uses; schedules set it.</summary>
    public double LearningRate { get; set; }

    public void ZeroGrad() => Parameters.ZeroGradients();

    public void Step()
    {
        using var _ = no_grad();
        Update(Parameters.Values, Parameters.Gradients);
    }

    protected abstract void Update(Tensor values, Tensor gradients);

    /// <summary>A state tensor shaped like the parameters, created zeroed on first use. It lives as
    /// long as the optimiser, not the dispose scope of the step that first needed it.</summary>
    protected Tensor StateLike(string name) =>
        state.TryGetValue(name, out var t) ? t : state[name] = zeros_like(Parameters.Values).DetachFromDisposeScope();

    protected bool HasState(string name) => state.ContainsKey(name);

    /// <summary>Number of steps taken, kept as state so that bias corrections resume correctly.</summary>
    protected long StepCount { get; set; }

    public IEnumerable<(string Name, Tensor Value)> State()
    {
        yield return ("step", tensor(StepCount));
        foreach (var (name, value) in state.OrderBy(s => s.Key))
            yield return (name, value);
    }

    public void LoadState(IReadOnlyDictionary<string, Tensor> saved)
    {
        foreach (var (name, value) in saved)
        {
            if (name == "step")
            {
                StepCount = value.item<long>();
                continue;
            }
            if (!value.shape.SequenceEqual(Parameters.Values.shape))
                throw new VisionLabException(
                    $"optimiser state '{name}' has shape [{string.Join(", ", value.shape)}], the parameters [{string.Join(", ", Parameters.Values.shape)}]");
            StateLike(name).copy_(value);
        }
    }

    public void Dispose()
    {
        foreach (var t in state.Values) t.Dispose();
        state.Clear();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Stochastic gradient descent with momentum and weight decay, as torch.optim.SGD defines them.</summary>
public sealed class Sgd(FlatParameters parameters, double learningRate, double momentum = 0.9,
    double weightDecay = 0, bool nesterov = false) : Optimizer(parameters, learningRate)
{
    protected override void Update(Tensor values, Tensor gradients)
    {
        if (weightDecay != 0) gradients.add_(values, alpha: weightDecay);
        if (momentum == 0)
        {
            values.add_(gradients, alpha: -LearningRate);
        }
        else
        {
            bool first = !HasState("momentum_buffer");
            var buffer = StateLike("momentum_buffer");
            if (first) buffer.copy_(gradients);
            else buffer.mul_(momentum).add_(gradients);
            values.add_(nesterov ? gradients.add_(buffer, alpha: momentum) : buffer, alpha: -LearningRate);
        }
        StepCount++;
    }
}

/// <summary>
/// Adam (Kingma and Ba, 2015) as torch.optim.Adam computes it, or with decoupled weight decay,
/// AdamW (Loshchilov and Hutter, 2019).
/// </summary>
public sealed class Adam(FlatParameters parameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999,
    double epsilon = 1e-8, double weightDecay = 0, bool decoupled = false) : Optimizer(parameters, learningRate)
{
    protected override void Update(Tensor values, Tensor gradients)
    {
        StepCount++;
        if (weightDecay != 0)
        {
            if (decoupled) values.mul_(1 - LearningRate * weightDecay);
            else gradients.add_(values, alpha: weightDecay);
        }
        var mean = StateLike("exp_avg");
        var variance = StateLike("exp_avg_sq");
        mean.lerp_(gradients, 1 - beta1);
        variance.mul_(beta2).addcmul_(gradients, gradients, value: 1 - beta2);
        double correction1 = 1 - Math.Pow(beta1, StepCount);
        double correction2 = 1 - Math.Pow(beta2, StepCount);
        using var denominator = variance.sqrt().div_(Math.Sqrt(correction2)).add_(epsilon);
        values.addcdiv_(mean, denominator, value: -LearningRate / correction1);
    }
}
