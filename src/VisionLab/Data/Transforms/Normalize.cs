using TorchSharp;
using VisionLab.Runtime;
using static TorchSharp.torch;

namespace VisionLab.Data.Transforms;

/// <summary>
/// Turns a uint8 batch (N×C×H×W, 0–255) into the float input a model expects:
/// (x / 255 − mean) / std per channel, as torchvision's ToTensor + Normalize do. The two steps
/// are folded into one multiply-add so a batch costs three tensor operations.
/// </summary>
public sealed class Normalize
{
    private readonly float[] scale;
    private readonly float[] shift;

    public Normalize(float[] mean, float[] std)
    {
        if (mean.Length != std.Length || mean.Length == 0)
            throw new ArgumentException($"mean has {mean.Length} values and std {std.Length}; they need one per channel");
        if (std.Any(s => !(s > 0)))
            throw new ArgumentException($"std [{string.Join(", ", std)}] must be positive");
        Mean = mean;
        Std = std;
        scale = std.Select(s => 1f / (255f * s)).ToArray();
        shift = mean.Zip(std, (m, s) => -m / s).ToArray();
    }

    public float[] Mean { get; }
    public float[] Std { get; }

    public Tensor Apply(Tensor bytes)
    {
        var x = bytes.to_type(ScalarType.Float32);
        if (scale.Length == 1)
            return x.TimesInPlace(scale[0]).PlusInPlace(shift[0]);
        var shape = new long[] { 1, scale.Length, 1, 1 };
        using var s = tensor(scale).reshape(shape);
        using var b = tensor(shift).reshape(shape);
        return x.mul_(s).PlusInPlace(b);
    }
}
