namespace VisionLab.Tuning;

/// <summary>
/// The standard normal distribution's density and probability masses in log space, accurate far
/// into the tails. TPE compares densities of candidates that may lie many kernel widths from a
/// kernel, where Φ(b) − Φ(a) underflows or cancels if computed directly.
/// </summary>
internal static class GaussianMath
{
    private static readonly double LogSqrt2Pi = 0.5 * Math.Log(2 * Math.PI);
    private static readonly double LogSqrtPi = 0.5 * Math.Log(Math.PI);

    /// <summary>log φ(z), the standard normal density.</summary>
    public static double LogPdf(double z) => -0.5 * z * z - LogSqrt2Pi;

    /// <summary>Φ(z), the standard normal distribution function.</summary>
    public static double Cdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));

    /// <summary>log Φ(z), accurate for very negative z.</summary>
    public static double LogCdf(double z) => Math.Log(0.5) + LogErfc(-z / Math.Sqrt(2));

    /// <summary>log(Φ(b) − Φ(a)) for a ≤ b.</summary>
    public static double LogMass(double a, double b)
    {
        if (a > 0)
            return LogMass(-b, -a); // the upper tail mirrors the lower one
        if (b <= 0)
        {
            // Both ends in the lower tail: Φ(b) (1 − Φ(a)/Φ(b)), all in logs.
            var logB = LogCdf(b);
            return logB + Log1MinusExp(LogCdf(a) - logB);
        }
        // a ≤ 0 < b: the mass is 1 minus two tails, each below one half.
        return Log1P(-Cdf(a) - Cdf(-b));
    }

    /// <summary>erfc(x) with small relative error for every x.</summary>
    public static double Erfc(double x)
    {
        if (x < 0)
            return 2.0 - Erfc(-x);
        return x < 2 ? 1.0 - ErfSeries(x) : Math.Exp(LogErfcContinuedFraction(x));
    }

    private static double LogErfc(double x) => x < 2 ? Math.Log(Erfc(x)) : LogErfcContinuedFraction(x);

    // Abramowitz & Stegun 7.1.6: erf x = 2/√π e^{−x²} Σ 2ⁿ x^{2n+1} / (1·3·…·(2n+1)). All terms are
    // positive, so nothing cancels; below x = 2 it converges in a few dozen terms.
    private static double ErfSeries(double x)
    {
        var term = x;
        var sum = x;
        for (var n = 1; term > 1e-17 * sum; n++)
        {
            term *= 2 * x * x / (2 * n + 1);
            sum += term;
        }
        return 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x) * sum;
    }

    // Abramowitz & Stegun 7.1.14: erfc x = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))),
    // evaluated with the modified Lentz method; from x = 2 on it converges within ~70 terms.
    // Returned as a logarithm so that e^{−x²} never underflows.
    private static double LogErfcContinuedFraction(double x)
    {
        const double tiny = 1e-300;
        double f = x, c = x, d = 0;
        for (var k = 1; k < 500; k++)
        {
            var a = k / 2.0;
            d = x + a * d;
            if (d == 0) d = tiny;
            c = x + a / c;
            if (c == 0) c = tiny;
            d = 1 / d;
            var delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16)
                break;
        }
        return -x * x - LogSqrtPi - Math.Log(f);
    }

    /// <summary>log(1 − eˣ) for x ≤ 0 (Mächler, "Accurately computing log(1 − exp(−|a|))", 2012).</summary>
    public static double Log1MinusExp(double x) =>
        x > -Math.Log(2) ? Math.Log(-ExpM1(x)) : Log1P(-Math.Exp(x));

    // eˣ − 1 and log(1 + x) without cancellation near zero, by Kahan's correction: the rounding
    // error of u = eˣ (or u = 1 + x) cancels in the ratio. Written out so that the accuracy does
    // not depend on how a runtime implements double.ExpM1 / double.LogP1.
    private static double ExpM1(double x)
    {
        var u = Math.Exp(x);
        if (u == 1.0) return x;
        var um1 = u - 1.0;
        return um1 == -1.0 ? -1.0 : um1 * x / Math.Log(u);
    }

    private static double Log1P(double x)
    {
        var u = 1.0 + x;
        return u == 1.0 ? x : Math.Log(u) * x / (u - 1.0);
    }
}
