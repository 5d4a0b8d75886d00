using VisionLab.Data.Images;

namespace VisionLab.Data.Transforms.Images;

/// <summary>Image transforms applied in order (torchvision's Compose); intermediate images are disposed as soon as the next step has run.</summary>
public sealed class Compose(params IReadOnlyList<IImageTransform> steps) : IImageTransform
{
    public IReadOnlyList<IImageTransform> Steps { get; } = steps;

    public ByteImage Apply(ByteImage image, Random random)
    {
        var current = image;
        foreach (var step in Steps)
        {
            var next = step.Apply(current, random);
            if (!ReferenceEquals(next, current) && !ReferenceEquals(current, image)) current.Dispose();
            current = next;
        }
        return current;
    }

    public override string ToString() => $"Compose({string.Join(", ", Steps)})";
}
