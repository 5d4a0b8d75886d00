using TorchSharp.Modules;
using VisionLab.Data.Images;
using VisionLab.Models;
using VisionLab.Reporting;
using static TorchSharp.torch;

namespace VisionLab.Explain;

/// <summary>Which channels of a layer to show.</summary>
public enum ChannelChoice
{
    /// <summary>Channels 0, 1, 2, …</summary>
    First,

    /// <summary>The channels with the largest mean activation on the image, largest first.</summary>
    MostActive,
}

/// <summary>
/// One picture of a visualisation grid, already scaled for display: interleaved 8-bit pixels
/// (H×W×C, C = 1 for grey, 3 for RGB) and what it shows.
/// </summary>
/// <param name="Index">The channel or filter it shows.</param>
/// <param name="Scale">How many display pixels each map or kernel value became (nearest neighbour).</param>
public sealed record VisualizationCell(string Caption, int Index, int Width, int Height, int Channels, byte[] Pixels, int Scale);

/// <summary>
/// What a network's layers compute, as pictures: the feature maps a layer produces for one image,
/// and the filters of the first convolution, which act on pixels directly and so can be read as
/// small images (edge and colour detectors in a trained network, noise in an untrained one). Each
/// map or filter is min-max normalised on its own, so the grid shows each one's pattern, not how
/// strong it is against the others (the caption gives that), and small maps are enlarged by
/// repeating pixels, never smoothed, so a 7×7 map shows its 49 values.
/// </summary>
public static class FeatureVisualization
{
    /// <summary>Cells are enlarged by an integer factor until their longer side reaches about this many pixels.</summary>
    public const int DefaultCellSize = 96;

    /// <summary>
    /// The feature maps of <paramref name="layer"/> (a state-dict name; null: the layer CAM methods
    /// use by default, see <see cref="TargetLayer.Of"/>) for <paramref name="image"/> (1×C×H×W,
    /// prepared for the model and on its device): <paramref name="count"/> channels, the first ones
    /// or the most active, each as a grey cell.
    /// </summary>
    public static IReadOnlyList<VisualizationCell> FeatureMaps(ImageClassifier model, Tensor image, string? layer, int count,
        ChannelChoice choice = ChannelChoice.MostActive, int cellSize = DefaultCellSize)
    {
        if (image.dim() != 4 || image.shape[0] != 1)
            throw new VisionLabException($"feature maps are shown for one image, 1×C×H×W, not shape [{string.Join(", ", image.shape)}]");
        if (count < 1) throw new VisionLabException($"--count {count} must be at least 1");
        using var scope = NewDisposeScope();
        var maps = LayerMaps(model, image, layer ?? model.DefaultExplainLayer)[0].to(ScalarType.Float32).cpu();
        long channels = maps.shape[0];
        int height = (int)maps.shape[1], width = (int)maps.shape[2];
        var means = maps.mean([1, 2]).data<float>().ToArray();
        var chosen = (choice == ChannelChoice.First
                ? Enumerable.Range(0, (int)channels)
                : Enumerable.Range(0, (int)channels).OrderByDescending(c => means[c]).ThenBy(c => c))
            .Take(count).ToList();

        int scale = ScaleFor(height, width, cellSize);
        var cells = new List<VisualizationCell>();
        foreach (int channel in chosen)
        {
            var values = maps[channel].contiguous().data<float>().ToArray();
            var grey = Normalized(values, 0, values.Length, out bool flat);
            // Short enough for a 96-pixel cell: the channel and its mean activation.
            string caption = flat ? $"ch {channel} flat" : FormattableString.Invariant($"ch {channel} ({means[channel]:G2})");
            cells.Add(new VisualizationCell(caption, channel, width * scale, height * scale, 1, Enlarged(grey, width, height, 1, scale), scale));
        }
        return cells;
    }

    /// <summary>The name of the model's first convolution (the first registered, which for every zoo family is the one that sees the pixels).</summary>
    public static string FirstConvolutionName(ImageClassifier model) => FirstConvolution(model).Name;

    /// <summary>
    /// The first convolution's filters, up to <paramref name="count"/> cells: one RGB cell per filter
    /// when it reads three channels (its three kernels normalised together, so the colour it
    /// responds to shows), else one grey cell per filter and input channel.
    /// </summary>
    public static IReadOnlyList<VisualizationCell> FirstConvolutionFilters(ImageClassifier model, int count, int cellSize = DefaultCellSize)
    {
        if (count < 1) throw new VisionLabException($"filter count {count} must be at least 1");
        var (_, conv) = FirstConvolution(model);
        using var scope = NewDisposeScope();
        using var gradients = no_grad();
        var weight = conv.weight!.detach().to(ScalarType.Float32).cpu().contiguous();
        int filters = (int)weight.shape[0], inputs = (int)weight.shape[1], height = (int)weight.shape[2], width = (int)weight.shape[3];
        var values = weight.data<float>().ToArray();
        int kernel = height * width, scale = ScaleFor(height, width, cellSize);
        var cells = new List<VisualizationCell>();
        for (int f = 0; f < filters && cells.Count < count; f++)
        {
            int start = f * inputs * kernel;
            if (inputs == 3)
            {
                // Planes (3×h×w) to interleaved RGB (h×w×3), scaled together.
                var planes = Normalized(values, start, 3 * kernel, out _);
                var rgb = new byte[3 * kernel];
                for (int c = 0; c < 3; c++)
                    for (int p = 0; p < kernel; p++)
                        rgb[3 * p + c] = planes[c * kernel + p];
                cells.Add(new VisualizationCell($"filter {f}", f, width * scale, height * scale, 3, Enlarged(rgb, width, height, 3, scale), scale));
                continue;
            }
            for (int c = 0; c < inputs && cells.Count < count; c++)
            {
                var grey = Normalized(values, start + c * kernel, kernel, out _);
                string caption = inputs == 1 ? $"filter {f}" : $"filter {f} · in {c}";
                cells.Add(new VisualizationCell(caption, f, width * scale, height * scale, 1, Enlarged(grey, width, height, 1, scale), scale));
            }
        }
        return cells;
    }

    /// <summary>The cells as a PNG grid, after <paramref name="lead"/> (the input as the model saw it, captioned "input") when given.</summary>
    public static byte[] RenderPng(IReadOnlyList<VisualizationCell> cells, string title, ByteImage? lead = null)
    {
        if (cells.Count == 0) throw new VisionLabException("nothing to draw: no feature maps or filters");
        var images = cells.Select(c => (Image: ByteImage.Wrap(c.Pixels, c.Width, c.Height, c.Channels), c.Caption)).ToList();
        try
        {
            List<(ByteImage Image, string Caption)> all = lead is null ? images : [(lead, "input"), .. images];
            return ImageGrid.RenderPng(all, (int)Math.Ceiling(Math.Sqrt(all.Count)), title);
        }
        finally
        {
            foreach (var (image, _) in images) image.Dispose();
        }
    }

    /// <summary>A layer's output as C×h×w maps (batch of one); token layers laid on their grid.</summary>
    private static Tensor LayerMaps(ImageClassifier model, Tensor image, string? layer)
    {
        model.eval();
        using var _ = no_grad();
        if (layer is null)
        {
            var features = model.ForwardFeatures(image);
            return features.dim() == 4
                ? features
                : throw new VisionLabException($"{model.GetName()}'s backbone gives outputs of shape [{string.Join(", ", features.shape)}], not feature maps; name a layer (--layer)");
        }
        FeatureExtractor.Layer(model, layer); // an unknown name lists the valid ones
        var (output, captured) = FeatureExtractor.Run(model, image, layer);
        output.Dispose();
        if (!captured.TryGetValue(layer, out var maps))
            throw new VisionLabException($"layer '{layer}' was not called in the forward pass; choose another layer");
        using (maps) return model.ToFeatureGrid(layer, maps);
    }

    private static (string Name, Conv2d Conv) FirstConvolution(ImageClassifier model)
    {
        foreach (var (name, module) in model.named_modules())
            if (module is Conv2d conv) return (name, conv);
        throw new VisionLabException($"{model.GetName()} has no 2-D convolution to show filters of");
    }

    /// <summary>values[start..start+length] min-max scaled to 0–255; a flat run is all 0.</summary>
    private static byte[] Normalized(float[] values, int start, int length, out bool flat)
    {
        var span = values.AsSpan(start, length);
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float v in span)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        flat = !(max > min);
        var bytes = new byte[length];
        if (flat) return bytes;
        for (int i = 0; i < length; i++) bytes[i] = (byte)Math.Round(255.0 * (span[i] - min) / (max - min));
        return bytes;
    }

    private static int ScaleFor(int height, int width, int cellSize) => Math.Max(1, cellSize / Math.Max(height, width));

    private static byte[] Enlarged(byte[] pixels, int width, int height, int channels, int scale)
    {
        if (scale == 1) return pixels;
        using var large = ByteImage.Wrap(pixels, width, height, channels).Enlarged(scale);
        return large.Pixels.ToArray();
    }
}
