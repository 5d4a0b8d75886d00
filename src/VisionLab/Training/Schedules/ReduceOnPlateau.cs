using VisionLab.Training.Optimizers;
using static TorchSharp.torch;

namespace VisionLab.Training.Schedules;

/// <summary>
/// Divides the rate when a monitored value has stopped improving, as torch's ReduceLROnPlateau:
/// after more than <c>patience</c> epochs without an improvement beyond the threshold the rate is
/// multiplied by <c>factor</c> (not below the minimum), then <c>cooldown</c> epochs pass before
/// bad epochs count again. The rate changes from the epoch after the one that triggered it.
/// </summary>
public sealed class ReduceOnPlateau : ILearningRateSchedule
{
    // torch ignores reductions smaller than this (its eps), so a rate at the floor stays put exactly.
    private const double NegligibleChange = 1e-8;

    public ReduceOnPlateau(double baseRate, bool maximize = false, double factor = 0.1, int patience = 10,
        double threshold = 1e-4, bool relativeThreshold = true, int cooldown = 0, double minRate = 0)
    {
        if (!(factor > 0 && factor < 1)) throw new VisionLabException($"plateau factor {factor} must be between 0 and 1");
        if (patience < 0) throw new VisionLabException($"plateau patience {patience} must be at least 0");
        if (cooldown < 0) throw new VisionLabException($"plateau cooldown {cooldown} must be at least 0");
        Rate = baseRate;
        Maximize = maximize;
        Factor = factor;
        Patience = patience;
        Threshold = threshold;
        RelativeThreshold = relativeThreshold;
        Cooldown = cooldown;
        MinRate = minRate;
        Best = maximize ? double.NegativeInfinity : double.PositiveInfinity;
    }

    public bool Maximize { get; }
    public double Factor { get; }
    public int Patience { get; }
    public double Threshold { get; }
    public bool RelativeThreshold { get; }
    public int Cooldown { get; }
    public double MinRate { get; }

    /// <summary>The current rate.</summary>
    public double Rate { get; private set; }

    /// <summary>The best monitored value so far.</summary>
    public double Best { get; private set; }

    public long BadEpochs { get; private set; }
    public long CooldownLeft { get; private set; }

    public double RateAt(long step)
    {
        if (step < 0) throw new VisionLabException($"step {step} must be at least 0");
        return Rate;
    }

    /// <summary>Takes the epoch's monitored value; NaN never counts as an improvement, as in torch.</summary>
    public void OnEpochEnd(int epoch, double monitored)
    {
        if (IsImprovement(monitored))
        {
            Best = monitored;
            BadEpochs = 0;
        }
        else
        {
            BadEpochs++;
        }
        if (CooldownLeft > 0)
        {
            CooldownLeft--;
            BadEpochs = 0;
        }
        if (BadEpochs > Patience)
        {
            double reduced = Math.Max(Rate * Factor, MinRate);
            if (Rate - reduced > NegligibleChange) Rate = reduced;
            CooldownLeft = Cooldown;
            BadEpochs = 0;
        }
    }

    private bool IsImprovement(double value) => (Maximize, RelativeThreshold) switch
    {
        (false, true) => value < Best * (1 - Threshold),
        (false, false) => value < Best - Threshold,
        (true, true) => value > Best * (1 + Threshold),
        (true, false) => value > Best + Threshold,
    };

    private static readonly string[] StateNames = ["rate", "best", "bad_epochs", "cooldown_left"];

    public IEnumerable<(string Name, Tensor Value)> State() =>
    [
        ("rate", TrainingStates.Scalar(Rate)),
        ("best", TrainingStates.Scalar(Best)),
        ("bad_epochs", TrainingStates.Scalar(BadEpochs)),
        ("cooldown_left", TrainingStates.Scalar(CooldownLeft)),
    ];

    public void LoadState(IReadOnlyDictionary<string, Tensor> saved)
    {
        const string owner = "plateau schedule";
        TrainingStates.RejectUnknown(saved, StateNames, owner);
        Rate = TrainingStates.ReadDouble(saved, "rate", owner);
        Best = TrainingStates.ReadDouble(saved, "best", owner);
        BadEpochs = TrainingStates.ReadLong(saved, "bad_epochs", owner);
        CooldownLeft = TrainingStates.ReadLong(saved, "cooldown_left", owner);
    }
}
