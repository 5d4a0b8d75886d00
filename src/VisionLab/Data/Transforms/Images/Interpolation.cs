namespace VisionLab.Data.Transforms.Images;

/// <summary>How pixels between grid points are estimated (torchvision's InterpolationMode, PIL's resampling filters).</summary>
public enum Interpolation
{
    Nearest,
    Bilinear,
    Bicubic,
}
