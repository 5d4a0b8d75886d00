using VisionLab.Data.Images;
using VisionLab.Inference;

namespace VisionLab.Explain;

/// <summary>
/// One method's explanation of one class for one image: the raw map at the method's own resolution
/// (the target layer's for CAM methods, the input's otherwise), not yet normalised or resized, so
/// that what is saved can be compared and what is shown is derived from it.
/// </summary>
/// <param name="Method">The command-line name: <c>gradcam</c>.</param>
/// <param name="Title">The name in papers and captions: <c>Grad-CAM</c>.</param>
/// <param name="Layer">The target layer's display name for methods that look at one; null for
/// methods whose map is at the input's resolution.</param>
/// <param name="Target">The class explained, with the probability the model gave it.</param>
/// <param name="Faithfulness">How faithful the map is to the model, when it was measured.</param>
public sealed record Explanation(string Method, string Title, string? Layer, ClassProbability Target, SaliencyMap Map,
    FaithfulnessScores? Faithfulness = null)
{
    /// <summary>A map with the same value everywhere says nothing about where the evidence is (a CAM
    /// whose weighted sum is negative everywhere is all zeros after its ReLU).</summary>
    public bool IsFlat => Map.Values.Length == 0 || Map.Values.Min() == Map.Values.Max();
}

/// <summary>
/// What <see cref="Explainer"/> found for one image: the picture the model saw, its prediction and
/// one <see cref="Explanation"/> per method and class, methods in the order asked for, classes
/// within each method most probable first.
/// </summary>
/// <param name="Image">The file (or name) the image came from.</param>
/// <param name="Picture">The image after the eval transform's resizing and cropping, before
/// normalisation: what the maps line up with. Its pixels are an ordinary managed array, so it needs
/// no disposing.</param>
/// <param name="Predicted">The most probable class.</param>
/// <param name="RandomBaseline">When faithfulness was measured: the same figures for a seeded
/// random map per class (at the first method's resolution), the level a method must beat to mean
/// anything.</param>
public sealed record ImageExplanation(string Image, ByteImage Picture, ClassProbability Predicted, IReadOnlyList<Explanation> Explanations,
    IReadOnlyList<FaithfulnessScores>? RandomBaseline = null);
