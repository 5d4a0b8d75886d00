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
/// Every model's forward pass, training (optimisers, gradient clipping, losses, batch mixing), input
/// normalisation, pruning and model construction go through these helpers, and the zoo's batch norm
/// is VisionLab's own <see cref="Models.BatchNorm2d"/>, because TorchSharp's counts the batches it has
/// seen with a fresh Scalar in every training step. <c>a - b</c>, <c>a * b</c> and <c>a / b</c> of two
/// tensors, <c>lerp_</c> with a number, <c>item&lt;T&gt;()</c> and TorchSharp's layers other than
/// BatchNorm make no Scalar (the finalised-Scalar tests check that, for the zoo and for training).
/// </para>
/// <para>
/// Every Scalar here is either held for the life of the process by a static field (a root the
/// collector never frees) or created and disposed around the one call that reads it: the <c>using</c>
/// keeps it reachable until the call has returned, then frees it at once instead of leaving it to the
/// finalizer. VisionLab mixes numbers into tensor operations and adds tensors only through these
/// methods. Each runs the libtorch operation the plain operator or overload would, on the same numbers,
/// so results are bit for bit the same.
/// </para>
/// </summary>
internal static class HeldScalars
{
    /// <summary>The alpha of a + b (a + alpha·b): TorchSharp's add without one makes a fresh 1 each call.</summary>
    private static readonly Scalar One = 1.ToScalar();

    /// <summary>Where <see cref="Range"/> starts: TorchSharp's <c>arange(stop)</c> makes a fresh 0 and 1 each call.</summary>
    private static readonly Scalar Zero = 0.ToScalar();

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

    /// <summary>a + b, written into a, which is returned.</summary>
    public static Tensor PlusInPlace(this Tensor a, double b)
    {
        using var number = b.ToScalar();
        return a.add_(number, One);
    }

    /// <summary>a + 1, written into a: a counter's step.</summary>
    public static Tensor IncrementInPlace(this Tensor a) => a.add_(One, One);

    /// <summary>a + scale·b.</summary>
    public static Tensor PlusScaled(this Tensor a, Tensor b, double scale)
    {
        using var number = scale.ToScalar();
        return a.add(b, number);
    }

    /// <summary>a + scale·b, written into a, which is returned.</summary>
    public static Tensor PlusScaledInPlace(this Tensor a, Tensor b, double scale)
    {
        using var number = scale.ToScalar();
        return a.add_(b, number);
    }

    /// <summary>a + scale·b·c, element-wise.</summary>
    public static Tensor PlusProduct(this Tensor a, Tensor b, Tensor c, double scale)
    {
        using var number = scale.ToScalar();
        return a.addcmul(b, c, number);
    }

    /// <summary>a + scale·b·c, element-wise, written into a, which is returned.</summary>
    public static Tensor PlusProductInPlace(this Tensor a, Tensor b, Tensor c, double scale)
    {
        using var number = scale.ToScalar();
        return a.addcmul_(b, c, number);
    }

    /// <summary>a + b / c, element-wise, written into a, which is returned.</summary>
    public static Tensor PlusQuotientInPlace(this Tensor a, Tensor b, Tensor c) => a.addcdiv_(b, c, One);

    /// <summary>a + scale·b / c, element-wise, written into a, which is returned.</summary>
    public static Tensor PlusQuotientInPlace(this Tensor a, Tensor b, Tensor c, double scale)
    {
        using var number = scale.ToScalar();
        return a.addcdiv_(b, c, number);
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

    /// <summary>a · b, written into a, which is returned.</summary>
    public static Tensor TimesInPlace(this Tensor a, double b)
    {
        using var number = b.ToScalar();
        return a.mul_(number);
    }

    /// <summary>a / b.</summary>
    public static Tensor DividedBy(this Tensor a, double b)
    {
        using var number = b.ToScalar();
        return a.div(number);
    }

    /// <summary>a / b, written into a, which is returned.</summary>
    public static Tensor DividedByInPlace(this Tensor a, double b)
    {
        using var number = b.ToScalar();
        return a.div_(number);
    }

    /// <summary>max(a, min), element-wise.</summary>
    public static Tensor AtLeast(this Tensor a, double min)
    {
        using var number = min.ToScalar();
        return a.clamp_min(number);
    }

    /// <summary>a limited to [min, max], element-wise, written into a, which is returned.</summary>
    public static Tensor ClampInPlace(this Tensor a, double min, double max)
    {
        using var low = min.ToScalar();
        using var high = max.ToScalar();
        return a.clamp_(low, high);
    }

    /// <summary>Every element of a set to value; a is returned.</summary>
    public static Tensor FillInPlace(this Tensor a, double value)
    {
        using var number = value.ToScalar();
        return a.fill_(number);
    }

    /// <summary>A new tensor of the given shape, every element value, of the default float type.</summary>
    public static Tensor Full(long[] shape, double value)
    {
        using var number = value.ToScalar();
        return full(shape, number);
    }

    /// <summary>0, 1, …, n − 1 as int64.</summary>
    public static Tensor Range(long n)
    {
        using var stop = n.ToScalar();
        return arange(Zero, stop, One);
    }

    /// <summary>The number in a one-element tensor. (TorchSharp's <c>ToDouble()</c> reads it through a
    /// Scalar that it leaves to the finalizer.)</summary>
    public static double ItemAsDouble(this Tensor a)
    {
        using var value = a.to(ScalarType.Float64);
        return value.item<double>();
    }

    /// <summary>Where a &gt; b, as a bool tensor.</summary>
    public static Tensor GreaterThan(this Tensor a, double b)
    {
        using var number = b.ToScalar();
        return a.gt(number);
    }

    /// <summary>Where a ≠ b, as a bool tensor.</summary>
    public static Tensor NotEqualTo(this Tensor a, double b)
    {
        using var number = b.ToScalar();
        return a.ne(number);
    }
}
