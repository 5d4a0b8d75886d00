using static TorchSharp.torch;

namespace VisionLab.Tests.Support;

public static class TensorExtensions
{
    /// <summary>Same shape and exactly the same values.</summary>
    public static bool SameAs(this Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape) || a.dtype != b.dtype) return false;
        using var equal = a.eq(b);
        using var all = equal.all();
        return all.item<bool>();
    }
}
