using static TorchSharp.torch;

namespace VisionLab.Training.Objectives;

/// <summary>
/// What the optimiser minimises for the main head on one batch. Cross-entropy with the labels unless
/// a run asks for more (a teacher's soft targets); the trainer still reports the plain cross-entropy,
/// so runs with different objectives stay comparable.
/// </summary>
public interface ITrainingObjective
{
    /// <param name="images">The batch the logits came from (a teacher needs them).</param>
    /// <param name="crossEntropy">The main head's cross-entropy with the labels, already computed.</param>
    Tensor Loss(Tensor images, Tensor logits, Tensor labels, Tensor crossEntropy);

    /// <summary>Networks the objective runs besides the model (a teacher), so that the trainer can
    /// give their convolutions the same kernels as the model's.</summary>
    IEnumerable<nn.Module> Networks => [];
}

/// <summary>Plain cross-entropy with the labels.</summary>
public sealed class CrossEntropyObjective : ITrainingObjective
{
    public static CrossEntropyObjective Instance { get; } = new();

    public Tensor Loss(Tensor images, Tensor logits, Tensor labels, Tensor crossEntropy) => crossEntropy.alias();
}
