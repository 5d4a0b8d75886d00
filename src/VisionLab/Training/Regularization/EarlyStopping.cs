using VisionLab.Training.Optimizers;
using static TorchSharp.torch;

namespace VisionLab.Training.Regularization;

/// <summary>
/// Ends training once a monitored value has not improved for <c>patience</c> epochs, as Keras'
/// and Lightning's EarlyStopping: an epoch improves when it beats the best so far by more than
/// min_delta. It also says which epoch was best, for keeping that checkpoint.
/// </summary>
public sealed class EarlyStopping : ITrainingState
{
    public EarlyStopping(EarlyStoppingSettings settings)
    {
        Settings = settings.Validate();
        Best = Maximize ? double.NegativeInfinity : double.PositiveInfinity;
    }

    public EarlyStoppingSettings Settings { get; }

    private bool Maximize => Settings.Mode == "max";

    public double Best { get; private set; }

    /// <summary>Zero-based epoch of <see cref="Best"/>; −1 before any epoch.</summary>
    public long BestEpoch { get; private set; } = -1;

    public long EpochsWithoutImprovement { get; private set; }

    /// <summary>Whether the last epoch reported improved on the best.</summary>
    public bool Improved { get; private set; }

    /// <summary>Takes the value after the zero-based <paramref name="epoch"/> and answers whether to stop
    /// now. NaN never improves, so a diverged run stops after its patience.</summary>
    public bool ShouldStop(int epoch, double monitored)
    {
        Improved = Maximize ? monitored - Settings.MinDelta > Best : monitored + Settings.MinDelta < Best;
        if (Improved)
        {
            Best = monitored;
            BestEpoch = epoch;
            EpochsWithoutImprovement = 0;
        }
        else
        {
            EpochsWithoutImprovement++;
        }
        return EpochsWithoutImprovement > 0 && EpochsWithoutImprovement >= Settings.Patience;
    }

    private static readonly string[] StateNames = ["best", "best_epoch", "epochs_without_improvement", "improved"];

    public IEnumerable<(string Name, Tensor Value)> State() =>
    [
        ("best", TrainingStates.Scalar(Best)),
        ("best_epoch", TrainingStates.Scalar(BestEpoch)),
        ("epochs_without_improvement", TrainingStates.Scalar(EpochsWithoutImprovement)),
        ("improved", TrainingStates.Scalar(Improved ? 1L : 0L)),
    ];

    public void LoadState(IReadOnlyDictionary<string, Tensor> saved)
    {
        const string owner = "early stopping";
        TrainingStates.RejectUnknown(saved, StateNames, owner);
        Best = TrainingStates.ReadDouble(saved, "best", owner);
        BestEpoch = TrainingStates.ReadLong(saved, "best_epoch", owner);
        EpochsWithoutImprovement = TrainingStates.ReadLong(saved, "epochs_without_improvement", owner);
        Improved = TrainingStates.ReadLong(saved, "improved", owner) != 0;
    }
}
