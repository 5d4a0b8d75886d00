using TorchSharp;
using static TorchSharp.torch;

namespace VisionLab.Runtime;

/// <summary>
/// Tensor arithmetic with plain numbers, written so that libtorch never reads a number TorchSharp has
/// already freed.
/// <para>
/// TorchSharp 0.107 hands every number a tensor operation takes (<c>x * 2</c>, <c>x.clamp_min(1e-7)</c>,
/// <c>x.ne(0)</c>, and the hidden <c>alpha = 1</c> of every <c>a + b</c> and <c>a.add_(b)</c>) to libtorch
/// as a <see cref="Scalar"/>, and reads a one-element tensor's number back through one
/// (<c>ToDouble()</c>): a native object that only its finalizer frees, and whose handle the native
/// call is given without the object being kept alive. In optimised code the Scalar is garbage as soon as its
/// handle has been read, so a garbage collection that another thread starts while the native call runs
/// lets the finalizer thread free it under libtorch: "Unknown scalar type", a failed check in
/// c10/core/Scalar.h, or, once the memory has been reused, a silently wrong number. It took a
/// twenty-minute <c>explain --evaluate</c> run, with a progress bar redrawn on another thread, to show.
/// Explain and ResNet's residual adds use these helpers so far; the other models' residual adds,
/// the optimisers and TorchSharp's own BatchNorm still make such Scalars (see the README's Memory section).
/// </para>
/// <para>
/// Every Scalar here is either held for the life of the process by a static field (a root the
/// collector never frees) or created and disposed around the one call that reads it: the <c>using</c>
/// keeps it reachable until the call has returned, then frees it at once instead of leaving it to the
/// finalizer. Code in this folder mixes numbers into tensor expressions, adds tensors and reads a
/// tensor's number only through these methods; the other operators (<c>a - b</c>, <c>a * b</c>, <c>a / b</c> of two tensors)
/// take no Scalar and are safe as they are.
/// </para>
/// </summary>
internal static class HeldScalars
{
    /// <summary>The alpha of a + b (a + alpha·b): TorchSharp's add without one makes a fresh 1 each call.</summary>
    private static readonly Scalar One = 1.ToScalar();

    /// <summary>a + b.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>a + b, written into a, which is returned.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary>a + b.</summary>
    public static Tensor Plus(this Tensor a, double b)
    {
        using var number = b.ToScalar();
        return a.add(number, One);
    }

    /// <summary>a − b.</summary>
    public static Tensor Minus(this Tensor a, double b)
    {
        using var number = b.ToScalar();
        return a.sub(number);
    }

    /// <summary>a · b.</summary>
    public static Tensor Times(this Tensor a, double b)
    {
        using var number = b.ToScalar();
        return a.mul(number);
    }

    /// <summary>a / b.</summary>
    public static Tensor DividedBy(this Tensor a, double b)
    {
        using var number = b.ToScalar();
        return a.div(number);
    }

    /// <summary>max(a, min), element-wise.</summary>
    public static Tensor AtLeast(this Tensor a, double min)
    {
        using var number = min.ToScalar();
        return a.clamp_min(number);
    }

    /// <summary>The number in a one-element tensor. (TorchSharp's <c>ToDouble()</c> reads it through a
    /// Scalar that it leaves to the finalizer.)</summary>
    public static double ItemAsDouble(this Tensor a)
    {
        using var value = a.to(ScalarType.Float64);
        return value.item<double>();
    }

    /// <summary>Where a ≠ b, as a bool tensor.</summary>
    public static Tensor NotEqualTo(this Tensor a, double b)
    {
        using var number = b.ToScalar();
        return a.ne(number);
    }
}
