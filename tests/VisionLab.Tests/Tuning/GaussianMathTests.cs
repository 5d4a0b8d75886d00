using VisionLab.Tuning;

namespace VisionLab.Tests.Tuning;

public class GaussianMathTests
{
    // Reference values from Python's math.erfc (CPython, correctly rounded to ~1 ulp).
    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.5, 0.4795001221869535)]
    [InlineData(1.0, 0.15729920705028513)]
    [InlineData(1.9, 0.0072095707647425325)]
    [InlineData(2.0, 0.004677734981047265)]
    [InlineData(3.0, 2.2090496998585438e-05)]
    [InlineData(5.0, 1.5374597944280351e-12)]
    [InlineData(10.0, 2.088487583762545e-45)]
    [InlineData(-1.5, 1.9661051464753108)]
    public void Erfc_matches_reference_values_to_a_relative_1e_12(double x, double expected)
    {
        Assert.Equal(1.0, GaussianMath.Erfc(x) / expected, 12);
    }

    // log(Φ(b) − Φ(a)) from Python: math.log(0.5 * (math.erfc(-b / √2) − math.erfc(-a / √2))),
    // mirrored for the upper tail. Far in a tail both Φ values are ~1e-196 and the difference is
    // what a discrete TPE kernel needs.
    [Theory]
    [InlineData(-30.0, -29.9, -451.37406913860605)]
    [InlineData(-38.0, -37.5, -707.6689893237724)]
    [InlineData(29.9, 30.0, -451.37406913860605)]
    [InlineData(-1.0, 2.0, -0.20016629432446262)]
    [InlineData(-0.001, 0.001, -7.133546798293574)]
    [InlineData(3.0, 3.0001, -14.629428903092299)]
    public void Log_mass_is_accurate_far_into_the_tails(double a, double b, double expected)
    {
        Assert.Equal(expected, GaussianMath.LogMass(a, b), 1e-9 * Math.Max(1, Math.Abs(expected)));
    }
}
