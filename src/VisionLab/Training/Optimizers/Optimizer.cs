using VisionLab.Runtime;
using static TorchSharp.torch;

namespace VisionLab.Training.Optimizers;

/// <summary>
/// An optimiser over a model's <see cref="FlatParameters"/>. Its whole state is a set of named
/// tensors, so a checkpoint can hold it and a resumed run continue exactly.
/// <para>
/// What torch.optim expresses with parameter groups lives here per parameter, laid over the flat
/// buffer as two vectors: whether weight decay applies (<see cref="WeightDecayRule"/>) and a
/// learning-rate scale (a pretrained backbone at a tenth of the head's rate, or at zero while it
/// is frozen). The optimiser with scales s and decay flags d steps exactly as torch.optim does
/// with one group per (s, d) pair, whose lr is s × <see cref="LearningRate"/> and whose
/// weight_decay is <see cref="WeightDecay"/> or 0. A parameter at scale 0 does not move at all:
/// every update to it is multiplied by zero.
/// </para>
/// <para>
/// <see cref="Step"/> reads the gradients without changing them, so gradient accumulation is
/// <see cref="ZeroGrad"/>, k backward passes of loss/k, then one <see cref="Step"/>.
/// </para>
/// </summary>
public abstract class Optimizer : ITrainingState, IDisposable
{
    private readonly Dictionary<string, Tensor> state = [];
    private readonly double[] scales;
    private readonly bool[] decays;
    private Tensor? scaleVector, decayVector, decayScaleVector;
    private bool vectorsStale = true;

    protected Optimizer(FlatParameters parameters, double learningRate, double weightDecay, WeightDecayRule decayRule)
    {
        if (!(learningRate > 0) || double.IsInfinity(learningRate))
            throw new VisionLabException($"learning rate {learningRate} must be a positive number");
        if (!(weightDecay >= 0) || double.IsInfinity(weightDecay))
            throw new VisionLabException($"weight decay {weightDecay} must be zero or a positive number");
        Parameters = parameters;
        LearningRate = learningRate;
        WeightDecay = weightDecay;
        DecayRule = decayRule;
        scales = Enumerable.Repeat(1.0, parameters.Parameters.Count).ToArray();
        decays = parameters.Names.Select((name, i) => decayRule.Applies(name, parameters.Parameters[i])).ToArray();
    }

    public FlatParameters Parameters { get; }

    /// <summary>The rate the next step uses; schedules set it before every step.</summary>
    public double LearningRate { get; set; }

    /// <summary>SGD's and RMSprop's momentum, Adam's β₁: what one-cycle schedules move with the rate.</summary>
    public abstract double Momentum { get; set; }

    public double WeightDecay { get; }

    public WeightDecayRule DecayRule { get; }

    /// <summary>Whether weight decay applies to the parameter <paramref name="name"/>.</summary>
    public bool Decays(string name) => decays[Parameters.IndexOf(name)];

    /// <summary>The parameter's rate relative to <see cref="LearningRate"/>.</summary>
    public double LearningRateScale(string name) => scales[Parameters.IndexOf(name)];

    /// <summary>
    /// Sets the rate of the parameters <paramref name="names"/> to <paramref name="scale"/> ×
    /// <see cref="LearningRate"/>: 0 freezes them (they do not move, whatever their momentum or
    /// decay), 0.1 fine-tunes a pretrained backbone gently. Takes effect from the next step.
    /// </summary>
    public void SetLearningRateScale(IEnumerable<string> names, double scale)
    {
        if (!(scale >= 0) || double.IsInfinity(scale))
            throw new VisionLabException($"learning-rate scale {scale} must be zero or a positive number");
        foreach (string name in names)
        {
            int i = Parameters.IndexOf(name);
            if (scales[i] == scale) continue;
            scales[i] = scale;
            vectorsStale = true;
        }
    }

    public void ZeroGrad() => Parameters.ZeroGradients();

    public void Step()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        if (vectorsStale) RebuildVectors();
        StepCount++;
        Update(Parameters.Values, Parameters.Gradients);
    }

    /// <summary>One step of the method: <paramref name="values"/> updated in place, <paramref name="gradients"/> only read.</summary>
    protected abstract void Update(Tensor values, Tensor gradients);

    /// <summary>Steps taken, this one included while <see cref="Update"/> runs; state, so that bias corrections resume correctly.</summary>
    protected long StepCount { get; private set; }

    /// <summary>The gradient with coupled weight decay (an L2 term in the loss): g + λ·p on the parameters that decay.</summary>
    protected Tensor DecayedGradient(Tensor values, Tensor gradients)
    {
        if (WeightDecay == 0) return gradients.alias();
        return decayVector is null
            ? gradients.PlusScaled(values, WeightDecay)
            : gradients.PlusProduct(values, decayVector, WeightDecay);
    }

    /// <summary>Adds λ·p to <paramref name="target"/> in place on the parameters that decay: coupled
    /// weight decay folded into a buffer that sums the gradient anyway, saving a temporary.</summary>
    protected void AddDecay(Tensor target, Tensor values)
    {
        if (WeightDecay == 0) return;
        if (decayVector is null) target.PlusScaledInPlace(values, WeightDecay);
        else target.PlusProductInPlace(values, decayVector, WeightDecay);
    }

    /// <summary>Decoupled weight decay (AdamW): p ← p − rate·λ·p on the parameters that decay, at their own rate.</summary>
    protected void DecayDecoupled(Tensor values, double rate)
    {
        if (WeightDecay == 0) return;
        if (decayScaleVector is null) values.TimesInPlace(1 - rate * WeightDecay);
        else values.PlusProductInPlace(values, decayScaleVector, -rate * WeightDecay);
    }

    /// <summary>p ← p − rate·s·<paramref name="direction"/>, s each parameter's rate scale.</summary>
    protected void Descend(Tensor values, Tensor direction, double rate)
    {
        if (scaleVector is null) values.PlusScaledInPlace(direction, -rate);
        else values.PlusProductInPlace(direction, scaleVector, -rate);
    }

    /// <summary>p ← p − rate·s·<paramref name="numerator"/>/<paramref name="denominator"/>.</summary>
    protected void Descend(Tensor values, Tensor numerator, Tensor denominator, double rate)
    {
        if (scaleVector is null) values.PlusQuotientInPlace(numerator, denominator, -rate);
        else values.PlusQuotientInPlace(numerator.mul(scaleVector), denominator, -rate);
    }

    /// <summary>A state tensor shaped like the parameters, created zeroed on first use. It lives as
    /// long as the optimiser, not the dispose scope of the step that first needed it.</summary>
    protected Tensor StateLike(string name) =>
        state.TryGetValue(name, out var t) ? t : state[name] = zeros_like(Parameters.Values).DetachFromDisposeScope();

    protected bool HasState(string name) => state.ContainsKey(name);

    /// <summary>Names of the state tensors a step with the current settings keeps.</summary>
    protected abstract IEnumerable<string> StateNames { get; }

    /// <summary>Name used in messages ("sgd", "adam", …).</summary>
    public abstract string Name { get; }

    public IEnumerable<(string Name, Tensor Value)> State()
    {
        yield return ("step", TrainingStates.Scalar(StepCount));
        foreach (var (name, value) in state.OrderBy(s => s.Key, StringComparer.Ordinal))
            yield return (name, value);
    }

    /// <summary>
    /// Puts back a state saved by the same kind of optimiser over the same parameters. Every
    /// tensor a step keeps must be there once a step has been taken; a state saved by another
    /// optimiser, or for another model, is refused with what does not fit.
    /// </summary>
    public void LoadState(IReadOnlyDictionary<string, Tensor> saved)
    {
        string owner = $"{Name} optimiser";
        var names = StateNames.ToList();
        TrainingStates.RejectUnknown(saved, names.Append("step"), owner);
        long steps = TrainingStates.ReadLong(saved, "step", owner);
        var missing = names.Where(n => !saved.ContainsKey(n)).ToList();
        if (steps > 0 && missing.Count > 0)
            throw new VisionLabException($"saved {owner} state after {steps} steps lacks {string.Join(", ", missing.Select(m => $"'{m}'"))}");
        foreach (var name in names.Where(saved.ContainsKey))
        {
            var value = saved[name];
            if (!value.shape.SequenceEqual(Parameters.Values.shape))
                throw new VisionLabException(
                    $"saved {owner} state '{name}' has shape [{string.Join(", ", value.shape)}], the parameters [{string.Join(", ", Parameters.Values.shape)}]");
        }
        using var _ = no_grad();
        foreach (var t in state.Values) t.Dispose();
        state.Clear();
        foreach (var name in names.Where(saved.ContainsKey))
            StateLike(name).copy_(saved[name]);
        StepCount = steps;
    }

    /// <summary>The per-element scale and decay vectors; null where every parameter has the default, so the common case stays scalar.</summary>
    private void RebuildVectors()
    {
        scaleVector?.Dispose();
        decayVector?.Dispose();
        decayScaleVector?.Dispose();
        bool anyScaled = scales.Any(s => s != 1);
        bool anyUndecayed = WeightDecay != 0 && decays.Any(d => !d);
        scaleVector = anyScaled ? PerParameter(i => scales[i]) : null;
        decayVector = anyUndecayed ? PerParameter(i => decays[i] ? 1 : 0) : null;
        decayScaleVector = anyScaled || anyUndecayed ? PerParameter(i => (decays[i] ? 1 : 0) * scales[i]) : null;
        vectorsStale = false;
    }

    private Tensor PerParameter(Func<int, double> value)
    {
        var vector = empty_like(Parameters.Values).DetachFromDisposeScope();
        for (int i = 0; i < scales.Length; i++)
        {
            using var slice = vector.narrow(0, Parameters.Offsets[i], Parameters.Parameters[i].numel());
            slice.FillInPlace(value(i));
        }
        return vector;
    }

    public void Dispose()
    {
        foreach (var t in state.Values) t.Dispose();
        state.Clear();
        scaleVector?.Dispose();
        decayVector?.Dispose();
        decayScaleVector?.Dispose();
        GC.SuppressFinalize(this);
    }
}
