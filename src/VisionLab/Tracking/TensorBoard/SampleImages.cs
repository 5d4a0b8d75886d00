using VisionLab.Data;
using VisionLab.Data.Images;
using VisionLab.Data.Transforms;
using VisionLab.Reporting;
using static TorchSharp.torch;

namespace VisionLab.Tracking.TensorBoard;

/// <summary>
/// A fixed handful of held-out images, prepared exactly as the model sees them, that
/// <see cref="TensorBoardLogger"/> shows the model's predictions on after every epoch: the same
/// images each time, so a person watches the answers change as the model learns.
/// </summary>
public sealed class SampleImages : IDisposable
{
    /// <summary>How far <see cref="Take"/> reads into a split looking for every class: far enough for
    /// the first images of a folder sorted by class, short of decoding all of a large one.</summary>
    private const int ScanLimit = 1_000;

    private readonly Tensor images;
    private readonly float[] pixels;
    private readonly InputPictures pictures;
    private readonly int[] labels;

    /// <param name="images">N×C×H×W, normalised as <paramref name="transform"/> prepares images; copied.</param>
    /// <param name="labels">The true class of each image.</param>
    /// <param name="classes">Class names, indexed by label.</param>
    /// <param name="transform">The model's evaluation transform, whose statistics turn the images back into pixels.</param>
    public SampleImages(Tensor images, IReadOnlyList<int> labels, IReadOnlyList<string> classes, EvalTransform transform)
    {
        var input = transform.Input;
        if (images.dim() != 4 || images.shape[1] != input.Channels || images.shape[2] != input.Height || images.shape[3] != input.Width)
            throw new VisionLabException($"sample images of shape [{string.Join(", ", images.shape)}] are not N×{input} as the evaluation transform prepares them");
        if (images.shape[0] == 0) throw new VisionLabException("sample images: need at least one image");
        if (labels.Count != images.shape[0])
            throw new VisionLabException($"{images.shape[0]} sample images came with {labels.Count} labels");
        foreach (int label in labels)
            if (label < 0 || label >= classes.Count)
                throw new VisionLabException($"sample label {label} is not one of the {classes.Count} classes");
        this.images = images.detach().to(ScalarType.Float32, CPU).contiguous().clone();
        pixels = this.images.data<float>().ToArray();
        this.labels = [.. labels];
        Classes = classes;
        Transform = transform;
        pictures = new InputPictures(transform);
    }

    public int Count => labels.Length;
    public IReadOnlyList<int> Labels => labels;
    public IReadOnlyList<string> Classes { get; }
    public EvalTransform Transform { get; }

    /// <summary>
    /// Up to <paramref name="count"/> images of <paramref name="split"/> (its first epoch's order),
    /// sharing the places out among the classes so that each shows up: at most ⌈count / classes⌉ of
    /// a class among the first <see cref="ScanLimit"/> images, the rest filled with the next images
    /// in order if some classes are missing there.
    /// </summary>
    public static SampleImages Take(IBatchSource split, int count, EvalTransform transform, IReadOnlyList<string> classes)
    {
        if (count < 1) throw new VisionLabException($"{count} sample images: need at least one");
        if (classes.Count == 0) throw new VisionLabException("sample images need the class names");
        int quota = (count + classes.Count - 1) / classes.Count;
        var perClass = new int[classes.Count];
        var chosen = new List<(float[] Pixels, int Label)>();
        var spare = new List<(float[] Pixels, int Label)>();
        int scanned = 0;
        foreach (var batch in split.Epoch(0))
        {
            using var b = batch;
            using var scope = NewDisposeScope();
            var batchLabels = b.Labels.cpu().data<long>().ToArray();
            for (int i = 0; i < batchLabels.Length && chosen.Count < count; i++, scanned++)
            {
                int label = (int)batchLabels[i];
                if (label < 0 || label >= classes.Count)
                    throw new VisionLabException($"a sample image's label {label} is not one of the {classes.Count} classes");
                bool wanted = perClass[label] < quota;
                if (!wanted && spare.Count >= count) continue;
                var image = (b.Images[i].to(ScalarType.Float32, CPU).contiguous().data<float>().ToArray(), label);
                if (wanted)
                {
                    chosen.Add(image);
                    perClass[label]++;
                }
                else spare.Add(image);
            }
            if (chosen.Count == count || scanned >= ScanLimit) break;
        }
        chosen.AddRange(spare.Take(count - chosen.Count));
        if (chosen.Count == 0) throw new VisionLabException("sample images: the held-out split yielded no images");

        var input = transform.Input;
        if (chosen[0].Pixels.Length != input.Elements)
            throw new VisionLabException($"the held-out split's images hold {chosen[0].Pixels.Length} values, not the {input.Elements} of {input} the evaluation transform makes");
        using var stacked = tensor(chosen.SelectMany(c => c.Pixels).ToArray(), [chosen.Count, input.Channels, input.Height, input.Width]);
        return new SampleImages(stacked, [.. chosen.Select(c => c.Label)], classes, transform);
    }

    /// <summary>The model's class and its softmax probability for each image, in evaluation mode (the
    /// model's mode is restored afterwards).</summary>
    public (int[] Predicted, float[] Probability) Predict(nn.Module<Tensor, Tensor> model)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var gradients = no_grad();
            using var scope = NewDisposeScope();
            var device = model.parameters().First().device;
            var probabilities = nn.functional.softmax(model.call(images.to(device)).to(ScalarType.Float32), 1).cpu();
            var (top, index) = probabilities.max(1);
            return ([.. index.data<long>().ToArray().Select(i => (int)i)], top.data<float>().ToArray());
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>The images in a grid, each captioned with the predicted class and its probability,
    /// and after a "≠" the true class when the prediction is wrong.</summary>
    public byte[] RenderPng(IReadOnlyList<int> predicted, IReadOnlyList<float> probability, string title)
    {
        if (predicted.Count != Count || probability.Count != Count)
            throw new ArgumentException($"{predicted.Count} predictions and {probability.Count} probabilities for {Count} sample images");
        var input = Transform.Input;
        var cells = new List<(ByteImage, string)>();
        try
        {
            for (int i = 0; i < Count; i++)
            {
                string guess = $"{ClassName(predicted[i])} {probability[i] * 100:0}%";
                cells.Add((pictures.Render(pixels.AsSpan(i * input.Elements, input.Elements)), predicted[i] == labels[i] ? guess : $"{guess} ≠ {Classes[labels[i]]}"));
            }
            return ImageGrid.RenderPng(cells, (int)Math.Ceiling(Math.Sqrt(Count)), title);
        }
        finally
        {
            foreach (var (image, _) in cells) image.Dispose();
        }
    }

    public void Dispose() => images.Dispose();

    // A model with more outputs than named classes can still predict an unnamed one.
    private string ClassName(int index) => index < Classes.Count ? Classes[index] : $"class {index}";
}
