namespace VisionLab.Training.Metrics;

/// <summary>
/// One image a model got wrong: its position in the evaluated split (the order the loader yields
/// images: for IDX data the index in the test file), its true and its predicted class, and the
/// softmax probability the model gave each.
/// </summary>
public readonly record struct Misclassification(int Index, int TrueClass, int PredictedClass,
    float TrueProbability, float PredictedProbability);
