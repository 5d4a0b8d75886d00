namespace VisionLab.Data.Transforms.Images;

/// <summary>What RandomErasing writes into the erased rectangle.</summary>
public abstract record ErasingValue
{
    /// <summary>One value for every channel (torchvision's default, 0).</summary>
    public sealed record Constant(float Value) : ErasingValue;

    /// <summary>One value per channel.</summary>
    public sealed record PerChannel(float[] Values) : ErasingValue;

    /// <summary>Standard normal noise per element (torchvision's value="random").</summary>
    public sealed record Noise : ErasingValue;
}

/// <summary>
/// torchvision's RandomErasing (Zhong et al., 2017) on the normalised C×H×W floats: with
/// probability <see cref="P"/>, a rectangle covering a random share of the area
/// (<see cref="Scale"/>) with a log-uniform aspect ratio (<see cref="Ratio"/>) is overwritten;
/// up to ten draws are tried and, if none fits, the image is left as it is.
/// </summary>
public sealed class RandomErasing : ITensorTransform
{
    public RandomErasing(double p = 0.5, (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null, ErasingValue? value = null)
    {
        P = Probability.Checked(p);
        Scale = scale ?? (0.02, 0.33);
        Ratio = ratio ?? (0.3, 3.3);
        if (!(Scale.Min >= 0 && Scale.Min <= Scale.Max && Scale.Max <= 1)) throw new ArgumentException($"scale {Scale} must lie in [0, 1] with min <= max");
        if (!(Ratio.Min > 0 && Ratio.Min <= Ratio.Max)) throw new ArgumentException($"ratio {Ratio} must be positive with min <= max");
        Value = value ?? new ErasingValue.Constant(0);
    }

    public double P { get; }
    public (double Min, double Max) Scale { get; }
    public (double Min, double Max) Ratio { get; }
    public ErasingValue Value { get; }

    /// <summary>torchvision's <c>RandomErasing.get_params</c>: the rectangle to erase, or null when ten draws found none that fits.</summary>
    public PixelRegion? SampleRegion(int height, int width, Random random)
    {
        double area = (double)height * width;
        for (int attempt = 0; attempt < 10; attempt++)
        {
            // torchvision's erasing takes the height along the aspect ratio, the crop its width.
            var (h, w) = RandomDraws.Rectangle(random, area, Scale, Ratio);
            if (!(h < height && w < width)) continue;
            int top = random.Next(0, height - h + 1);
            int left = random.Next(0, width - w + 1);
            return new PixelRegion(top, left, h, w);
        }
        return null;
    }

    public void Apply(Span<float> image, ImageShape shape, Random random)
    {
        if (image.Length != shape.Elements) throw new ArgumentException($"{image.Length} floats do not make a {shape} image");
        if (random.NextDouble() >= P) return;
        if (SampleRegion(shape.Height, shape.Width, random) is not { } region) return;
        if (Value is ErasingValue.PerChannel perChannel && perChannel.Values.Length != shape.Channels)
            throw new VisionLabException($"RandomErasing has {perChannel.Values.Length} values for a {shape.Channels}-channel image");
        int plane = shape.Height * shape.Width;
        for (int c = 0; c < shape.Channels; c++)
        for (int y = region.Top; y < region.Bottom; y++)
        {
            var row = image.Slice(c * plane + y * shape.Width + region.Left, region.Width);
            switch (Value)
            {
                case ErasingValue.Constant constant:
                    row.Fill(constant.Value);
                    break;
                case ErasingValue.PerChannel values:
                    row.Fill(values.Values[c]);
                    break;
                default:
                    for (int i = 0; i < row.Length; i++) row[i] = (float)RandomDraws.StandardNormal(random);
                    break;
            }
        }
    }

    public override string ToString() => $"RandomErasing(p={P}, scale {Scale}, ratio {Ratio}, {Value})";
}
