namespace VisionLab.Data.Transforms;

/// <summary>
/// How an image becomes a model input at evaluation time: its size and channels, and the
/// normalisation statistics. Training saves it in the checkpoint so that evaluation, prediction,
/// explanation and serving prepare images exactly as training did.
/// </summary>
public sealed record EvalTransform(int Channels, int Height, int Width, float[] Mean, float[] Std)
{
    public ImageShape Input => new(Channels, Height, Width);

    public Normalize Normalize() => new(Mean, Std);
}
