namespace VisionLab.Data;

/// <summary>Images held as one contiguous byte array, as IDX files provide them.</summary>
public sealed class InMemoryImageDataset : IImageClassificationDataset
{
    private readonly byte[] pixels;
    private readonly byte[] labels;

    public InMemoryImageDataset(string name, IReadOnlyList<string> classes, ImageShape shape, byte[] pixels, byte[] labels)
    {
        if (pixels.LongLength != (long)labels.Length * shape.Elements)
            throw new ArgumentException($"{name}: {pixels.LongLength} pixel bytes do not make {labels.Length} images of {shape}");
        int bad = Array.FindIndex(labels, l => l >= classes.Count);
        if (bad >= 0)
            throw new VisionLabException($"{name}: label {labels[bad]} at item {bad} is not below the number of classes ({classes.Count})");
        Name = name;
        Classes = classes;
        ImageShape = shape;
        this.pixels = pixels;
        this.labels = labels;
    }

    public string Name { get; }
    public int Count => labels.Length;
    public ImageShape ImageShape { get; }
    public IReadOnlyList<string> Classes { get; }

    public int LabelOf(int index) => labels[index];

    public void CopyImage(int index, Span<byte> destination) =>
        pixels.AsSpan(index * ImageShape.Elements, ImageShape.Elements).CopyTo(destination);

    /// <summary>The first <paramref name="count"/> items, sharing nothing mutable with this set.</summary>
    public InMemoryImageDataset Take(int count)
    {
        if (count >= Count) return this;
        return new InMemoryImageDataset($"{Name}[:{count}]", Classes, ImageShape,
            pixels.AsSpan(0, count * ImageShape.Elements).ToArray(), labels.AsSpan(0, count).ToArray());
    }

    /// <summary>The items at <paramref name="indices"/>, in that order, copied.</summary>
    public InMemoryImageDataset Pick(IReadOnlyList<int> indices)
    {
        int size = ImageShape.Elements;
        var picked = new byte[indices.Count * size];
        var pickedLabels = new byte[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            if ((uint)indices[i] >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), indices[i], $"{Name} holds {Count} items");
            CopyImage(indices[i], picked.AsSpan(i * size, size));
            pickedLabels[i] = labels[indices[i]];
        }
        return new InMemoryImageDataset($"{Name} ({indices.Count} picked)", Classes, ImageShape, picked, pickedLabels);
    }

    /// <summary>Per-channel mean and standard deviation of the pixels scaled to [0, 1].</summary>
    public (float[] Mean, float[] Std) ChannelStatistics()
    {
        int c = ImageShape.Channels, plane = ImageShape.Height * ImageShape.Width;
        var sum = new double[c];
        var sumSq = new double[c];
        for (int i = 0; i < Count; i++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                long s = 0, s2 = 0;
                foreach (byte v in pixels.AsSpan((i * c + ch) * plane, plane))
                {
                    s += v;
                    s2 += v * v;
                }
                sum[ch] += s;
                sumSq[ch] += s2;
            }
        }
        double n = (double)Count * plane;
        var mean = new float[c];
        var std = new float[c];
        for (int ch = 0; ch < c; ch++)
        {
            double m = sum[ch] / n / 255.0;
            mean[ch] = (float)m;
            std[ch] = (float)Math.Sqrt(Math.Max(sumSq[ch] / n / (255.0 * 255.0) - m * m, 1e-12));
        }
        return (mean, std);
    }
}
