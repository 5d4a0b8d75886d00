using VisionLab.Runtime;
using VisionLab.Training.Optimizers;
using static TorchSharp.torch;

namespace VisionLab.Training.Regularization;

/// <summary>
/// Rescales the gradients so that their global L2 norm is at most a bound, as
/// torch.nn.utils.clip_grad_norm_ does (Pascanu et al. 2013): the direction is kept, only an
/// exploding step is shortened. Over <see cref="FlatParameters"/> the norm of all gradients
/// is the norm of one vector. Call between the last backward pass and the optimiser step.
/// </summary>
public static class GradientClipping
{
    // torch adds this to the norm before dividing, so that a zero gradient is left as it is.
    private const double NormGuard = 1e-6;

    /// <summary>
    /// Clips to <paramref name="maxNorm"/> and returns the norm before clipping. A non-finite norm
    /// (an overflow, a NaN) leaves the gradients untouched and is returned as it is, so the
    /// caller can skip the step.
    /// </summary>
    public static double ClipByGlobalNorm(FlatParameters parameters, double maxNorm)
    {
        if (!(maxNorm > 0 && double.IsFinite(maxNorm)))
            throw new VisionLabException($"gradient clipping max norm {maxNorm} must be a positive number");
        using var _ = no_grad();
        // norm() is linalg.vector_norm with ord 2 (libtorch's norm calls it), but TorchSharp passes its 2 as a
        // plain float: vector_norm's ord would be a Scalar left to the finalizer (see HeldScalars).
        using var norm = parameters.Gradients.norm();
        double total = norm.to_type(ScalarType.Float64).item<double>();
        if (!double.IsFinite(total)) return total;
        double coefficient = maxNorm / (total + NormGuard);
        if (coefficient < 1) parameters.Gradients.TimesInPlace(coefficient);
        return total;
    }
}
