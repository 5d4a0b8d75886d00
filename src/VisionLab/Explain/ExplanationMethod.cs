using VisionLab.Models;
using static TorchSharp.torch;

namespace VisionLab.Explain;

/// <summary>A map of where a model found the evidence for a class: row-major floats, larger means more.</summary>
public sealed record SaliencyMap(float[] Values, int Height, int Width)
{
    public static SaliencyMap From(Tensor map)
    {
        if (map.dim() != 2) throw new ArgumentException($"a saliency map is h×w, not shape [{string.Join(", ", map.shape)}]");
        using var cpu = map.detach().to(ScalarType.Float32, CPU).contiguous();
        return new SaliencyMap(cpu.data<float>().ToArray(), (int)map.shape[0], (int)map.shape[1]);
    }

    public Tensor ToTensor() => tensor(Values, [Height, Width]);

    /// <summary>Scaled to [0, 1] by its minimum and maximum (all zeros when flat), as CAM libraries show maps.</summary>
    public SaliencyMap Normalized()
    {
        float min = Values.Min(), max = Values.Max(), range = max - min;
        return this with { Values = Values.Select(v => range > 0 ? (v - min) / range : 0f).ToArray() };
    }

    /// <summary>Bilinearly resized (half-pixel centres, as torch's interpolate without corner alignment).</summary>
    public SaliencyMap Resized(int height, int width)
    {
        if (height == Height && width == Width) return this;
        using var scope = NewDisposeScope();
        var resized = nn.functional.interpolate(ToTensor().reshape(1, 1, Height, Width), [height, width],
            mode: InterpolationMode.Bilinear, align_corners: false);
        return From(resized[0, 0]);
    }
}

/// <summary>What every method is given: the model in eval mode and the layer CAM methods look at.</summary>
public sealed record ExplainContext(ImageClassifier Model, TargetLayer Layer);

/// <summary>
/// One way of explaining a prediction. <see cref="Explain"/> takes one prepared image (1×C×H×W on
/// the model's device) and a class, and returns the raw map at the method's own resolution — the
/// target layer's for CAM methods, the input's for gradient and perturbation methods.
/// </summary>
public interface IExplanationMethod
{
    /// <summary>The command-line name: <c>gradcam</c>.</summary>
    string Name { get; }

    /// <summary>The name in papers and captions: <c>Grad-CAM</c>.</summary>
    string Title { get; }

    /// <summary>Whether the map is at the target layer's resolution (CAM methods) rather than the input's.</summary>
    bool UsesTargetLayer { get; }

    SaliencyMap Explain(ExplainContext context, Tensor image, int classIndex);
}
