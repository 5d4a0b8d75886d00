namespace VisionLab.Explain;

/// <summary>
/// Which classes an explanation is for: one class given by index, or the model's k most probable
/// (k = 1, the default, is the predicted class). Explaining a class the model did not pick shows
/// what evidence it saw for that class all the same.
/// </summary>
public sealed record ClassSelection
{
    private ClassSelection(int? classIndex, int topK)
    {
        ClassIndex = classIndex;
        TopK = topK;
    }

    /// <summary>The class asked for by index; null to take the most probable classes.</summary>
    public int? ClassIndex { get; }

    /// <summary>How many of the most probable classes, when no index is given.</summary>
    public int TopK { get; }

    /// <summary>The predicted class.</summary>
    public static ClassSelection Predicted { get; } = new(null, 1);

    public static ClassSelection Class(int classIndex) => new(classIndex, 1);

    public static ClassSelection Top(int k) =>
        k >= 1 ? new ClassSelection(null, k) : throw new VisionLabException($"top-k {k} must be at least 1");

    /// <summary>Fails with the valid range when the index is not a class of a model with <paramref name="numClasses"/> outputs.</summary>
    public void Validate(int numClasses)
    {
        if (ClassIndex is int k && (k < 0 || k >= numClasses))
            throw new VisionLabException($"class {k} is out of range: the model has {numClasses} classes, 0 to {numClasses - 1}");
    }

    public override string ToString() => ClassIndex is int k ? $"class {k}" : TopK == 1 ? "the predicted class" : $"the top {TopK} classes";
}
