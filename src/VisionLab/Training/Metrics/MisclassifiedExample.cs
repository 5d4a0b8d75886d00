using VisionLab.Data;

namespace VisionLab.Training.Metrics;

/// <summary>
/// A misclassified image together with its pixels exactly as the model saw them: normalised
/// floats, channels first (<see cref="Shape"/>). The evaluation transform's statistics turn them
/// back into a picture (<see cref="Reporting.InputPictures"/>).
/// </summary>
public sealed record MisclassifiedExample(Misclassification Mistake, float[] Pixels, ImageShape Shape);
