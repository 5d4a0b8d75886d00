using TorchSharp;
using VisionLab.Training.Optimizers;
using static TorchSharp.torch;

namespace VisionLab.Training.Regularization;

/// <summary>
/// An exponential moving average of a model's weights (Polyak and Juditsky 1992; the "model EMA"
/// of timm and torchvision's recipes), updated after each optimiser step: a ← d·a + (1 − d)·w. The
/// average usually evaluates better than the last weights, at the cost of one copy of them. Since
/// the trainable weights live in one flat buffer (<see cref="FlatParameters"/>), an update is a
/// single lerp over one vector. It starts as a copy of the weights it is built from.
/// <para>
/// Evaluate or save the averaged model inside <see cref="SwapIn"/>, which puts the average into
/// the model and the training weights back on dispose. Equal to torch's AveragedModel with
/// avg_fn = the same decay, updated once at construction and after every step.
/// </para>
/// </summary>
public sealed class ExponentialMovingAverage : ITrainingState, IDisposable
{
    private readonly FlatParameters parameters;
    private readonly Tensor shadow;
    private readonly (string Name, Tensor Live, Tensor Shadow)[] buffers;

    /// <param name="model">The module whose floating-point buffers are averaged too, when
    /// <see cref="EmaSettings.AverageBuffers"/> asks for it; otherwise unused.</param>
    public ExponentialMovingAverage(FlatParameters parameters, EmaSettings settings, nn.Module? model = null)
    {
        Settings = settings.Validate();
        this.parameters = parameters;
        if (settings.AverageBuffers && model is null)
            throw new VisionLabException("averaging buffers needs the model that holds them");
        using var _ = no_grad();
        shadow = parameters.Values.detach().clone();
        buffers = settings.AverageBuffers
            ? model!.named_buffers().Where(b => b.buffer.is_floating_point())
                .Select(b => (b.name, b.buffer, b.buffer.detach().clone())).ToArray()
            : [];
    }

    public EmaSettings Settings { get; }

    /// <summary>Updates taken since construction.</summary>
    public long Updates { get; private set; }

    /// <summary>The averaged trainable weights, laid out as <see cref="FlatParameters.Values"/>.</summary>
    public Tensor Values => shadow;

    /// <summary>The decay the next update uses.</summary>
    public double NextDecay => Settings.Warmup ? Math.Min(Settings.Decay, (1.0 + Updates) / (10.0 + Updates)) : Settings.Decay;

    /// <summary>Folds the current weights into the average; call after every optimiser step.</summary>
    public void Update()
    {
        using var _ = no_grad();
        double weight = 1 - NextDecay;
        shadow.lerp_(parameters.Values, weight);
        foreach (var (_, live, average) in buffers) average.lerp_(live, weight);
        Updates++;
    }

    /// <summary>Puts the averaged weights (and averaged buffers) into the model until the result is disposed.</summary>
    public IDisposable SwapIn() => new Swap(this);

    private sealed class Swap : IDisposable
    {
        private readonly ExponentialMovingAverage owner;
        private readonly Tensor trainingValues;
        private readonly Tensor[] trainingBuffers;
        private bool restored;

        public Swap(ExponentialMovingAverage owner)
        {
            this.owner = owner;
            using var _ = no_grad();
            var values = owner.parameters.Values;
            trainingValues = values.clone();
            values.copy_(owner.shadow);
            trainingBuffers = owner.buffers.Select(b => b.Live.clone()).ToArray();
            foreach (var (_, live, average) in owner.buffers) live.copy_(average);
        }

        public void Dispose()
        {
            if (restored) return;
            restored = true;
            using var _ = no_grad();
            owner.parameters.Values.copy_(trainingValues);
            trainingValues.Dispose();
            for (int i = 0; i < trainingBuffers.Length; i++)
            {
                owner.buffers[i].Live.copy_(trainingBuffers[i]);
                trainingBuffers[i].Dispose();
            }
        }
    }

    public IEnumerable<(string Name, Tensor Value)> State()
    {
        yield return ("updates", TrainingStates.Scalar(Updates));
        yield return ("values", shadow);
        foreach (var (name, _, average) in buffers) yield return ($"buffer.{name}", average);
    }

    public void LoadState(IReadOnlyDictionary<string, Tensor> saved)
    {
        const string owner = "weight average";
        var names = buffers.Select(b => $"buffer.{b.Name}").Prepend("values").Prepend("updates").ToList();
        TrainingStates.RejectUnknown(saved, names, owner);
        long updates = TrainingStates.ReadLong(saved, "updates", owner);
        var targets = buffers.Select(b => ($"buffer.{b.Name}", b.Shadow)).Prepend(("values", shadow)).ToList();
        foreach (var (name, target) in targets)
        {
            if (!saved.TryGetValue(name, out var value))
                throw new VisionLabException($"saved {owner} state lacks '{name}'");
            if (!value.shape.SequenceEqual(target.shape))
                throw new VisionLabException(
                    $"saved {owner} state '{name}' has shape [{string.Join(", ", value.shape)}], the model [{string.Join(", ", target.shape)}]");
        }
        using var _ = no_grad();
        foreach (var (name, target) in targets) target.copy_(saved[name]);
        Updates = updates;
    }

    public void Dispose()
    {
        shadow.Dispose();
        foreach (var (_, _, average) in buffers) average.Dispose();
    }
}
