namespace VisionLab.Tuning;

/// <summary>
/// A numeric range, continuous or on a step grid, linear or log scale. Samplers model it in a
/// "kernel space": the value itself, or its logarithm for log ranges, so that a Gaussian kernel
/// spreads over orders of magnitude for a learning rate. A grid value stands for the cell of one
/// step around it, so the kernel space runs from <c>low − step/2</c> to <c>high + step/2</c> and
/// every grid point gets the same share of it (Optuna does the same).
/// </summary>
public abstract class NumericDistribution(string key) : ParameterDistribution(key)
{
    /// <summary>The smallest value, as a double.</summary>
    public abstract double Lower { get; }

    /// <summary>The largest value, as a double.</summary>
    public abstract double Upper { get; }

    /// <summary>The spacing of the grid of allowed values; 0 for a continuous range.</summary>
    public abstract double GridStep { get; }

    /// <summary>True when values are spread evenly in log scale.</summary>
    public abstract bool IsLog { get; }

    /// <summary>The nearest allowed value to <paramref name="value"/>, inside the bounds.</summary>
    internal abstract double Snap(double value);

    internal double ToKernel(double value) => IsLog ? Math.Log(value) : value;

    internal double FromKernel(double kernelValue) => Snap(IsLog ? Math.Exp(kernelValue) : kernelValue);

    internal double KernelLow => ToKernel(Lower - GridStep / 2);

    internal double KernelHigh => ToKernel(Upper + GridStep / 2);

    internal override double SampleUniform(TrialRandom random) =>
        FromKernel(KernelLow + random.NextDouble() * (KernelHigh - KernelLow));
}
