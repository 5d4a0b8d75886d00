using VisionLab.Data.Images;

namespace VisionLab.Data.Transforms.Images;

/// <summary>torchvision's Grayscale: PIL's luma, kept as 1 channel or repeated into 3.</summary>
public sealed class Grayscale : IImageTransform
{
    public Grayscale(int outputChannels = 1)
    {
        OutputChannels = outputChannels is 1 or 3 ? outputChannels : throw new ArgumentOutOfRangeException(nameof(outputChannels), outputChannels, "1 or 3");
    }

    public int OutputChannels { get; }

    public ByteImage Apply(ByteImage image, Random random) => ToGrey(image, OutputChannels);

    /// <summary>torchvision's <c>rgb_to_grayscale</c>: grey values in <paramref name="channels"/> channels (always a new image).</summary>
    public static ByteImage ToGrey(ByteImage image, int channels)
    {
        if (image.Channels == 1) return channels == 1 ? image.Clone() : ColorConversion.GreyToRgb(image);
        var grey = ColorConversion.ToGrey(image);
        if (channels == 1) return grey;
        using (grey) return ColorConversion.GreyToRgb(grey);
    }

    public override string ToString() => $"Grayscale({OutputChannels})";
}

/// <summary>torchvision's RandomGrayscale: with probability <paramref name="p"/>, grey values in the image's own number of channels.</summary>
public sealed class RandomGrayscale(double p = 0.1) : IImageTransform
{
    public double P { get; } = Probability.Checked(p);

    public ByteImage Apply(ByteImage image, Random random) =>
        random.NextDouble() < P ? Grayscale.ToGrey(image, image.Channels) : image;

    public override string ToString() => $"RandomGrayscale(p={P})";
}
