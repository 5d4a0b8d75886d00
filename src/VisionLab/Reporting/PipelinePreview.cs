using System.Runtime.InteropServices;
using VisionLab.Data;
using VisionLab.Data.Folders;
using VisionLab.Data.Transforms;
using VisionLab.Data.Images;
using VisionLab.Data.Transforms.Images;
using static TorchSharp.torch;

namespace VisionLab.Reporting;

/// <summary>
/// A grid of training images exactly as they reach a model — a folder's through its pipeline
/// (crops, policies, erasing and, when given, the batch-level mix), IDX data's through the loader
/// and its augmentation — turned back into pixels, so a person can see what the model will see.
/// </summary>
public static class PipelinePreview
{
    /// <param name="count">Images shown, taken round-robin over the classes so every class shows up.</param>
    public static byte[] RenderPng(ImageFolder folder, ImagePipeline pipeline, IBatchTransform? mixing, int count, int seed, string title)
    {
        if (count < 1) throw new VisionLabException($"--count {count} must be at least 1");
        var chosen = RoundRobin(folder.Files, f => f.Label, folder.Classes.Count, count);
        var shape = pipeline.OutputShape;
        using var images = empty([chosen.Count, shape.Channels, shape.Height, shape.Width], ScalarType.Float32);
        using var labels = tensor(chosen.Select(f => (long)f.Label).ToArray());
        var pixels = MemoryMarshal.Cast<byte, float>(images.bytes);
        for (int i = 0; i < chosen.Count; i++)
        {
            using var decoded = ImageDecoder.Default.Decode(chosen[i].Path, shape.Channels);
            pipeline.Apply(decoded, new Random(seed * 7919 + i), pixels.Slice(i * shape.Elements, shape.Elements));
        }

        var captions = chosen.Select(f => folder.Classes[f.Label]).ToArray();
        Tensor shown = images;
        Tensor? targets = null;
        if (mixing is not null)
        {
            (shown, targets) = mixing.Apply(images, labels, new Random(seed));
            captions = Enumerable.Range(0, chosen.Count).Select(i => MixedCaption(targets[i], folder.Classes)).ToArray();
        }
        var cells = new List<(ByteImage, string)>();
        try
        {
            var floats = MemoryMarshal.Cast<byte, float>(shown.bytes);
            for (int i = 0; i < chosen.Count; i++)
                cells.Add((pipeline.ToTensor.Read(floats.Slice(i * shape.Elements, shape.Elements), shape.Height, shape.Width), captions[i]));
            return ImageGrid.RenderPng(cells, (int)Math.Ceiling(Math.Sqrt(cells.Count)), title);
        }
        finally
        {
            foreach (var (image, _) in cells) image.Dispose();
            if (!ReferenceEquals(shown, images)) shown.Dispose();
            targets?.Dispose();
        }
    }

    /// <summary>
    /// Training images of an in-memory (IDX) data set as the training loader hands them over:
    /// <paramref name="augmentation"/> drawn from <paramref name="seed"/>, normalised and resized by
    /// <paramref name="transform"/>, then shown enlarged.
    /// </summary>
    public static byte[] RenderPng(InMemoryImageDataset dataset, EvalTransform transform, PixelAugmentationPlan augmentation,
        int count, int seed, string title)
    {
        if (count < 1) throw new VisionLabException($"--count {count} must be at least 1");
        var chosen = dataset.Pick(RoundRobin(Enumerable.Range(0, dataset.Count).ToList(), dataset.LabelOf, dataset.Classes.Count, count));
        var loader = new DataLoader(chosen, chosen.Count, transform.Normalize(), seed: seed,
            outputSize: (transform.Height, transform.Width), augmentation: augmentation);
        using var batch = loader.Epoch(0).First();
        var pictures = new InputPictures(transform);
        var floats = MemoryMarshal.Cast<byte, float>(batch.Images.bytes);
        int size = transform.Input.Elements;
        var cells = new List<(ByteImage, string)>();
        try
        {
            for (int i = 0; i < chosen.Count; i++)
                cells.Add((pictures.Render(floats.Slice(i * size, size)), dataset.Classes[chosen.LabelOf(i)]));
            return ImageGrid.RenderPng(cells, (int)Math.Ceiling(Math.Sqrt(cells.Count)), title);
        }
        finally
        {
            foreach (var (image, _) in cells) image.Dispose();
        }
    }

    private static List<T> RoundRobin<T>(IReadOnlyList<T> items, Func<T, int> labelOf, int classes, int count)
    {
        // One pass sorts the items by class: IDX data hands over all 60,000 training indices.
        var byClass = Enumerable.Range(0, classes).Select(_ => new Queue<T>()).ToList();
        foreach (var item in items) byClass[labelOf(item)].Enqueue(item);
        var chosen = new List<T>();
        while (chosen.Count < count && byClass.Any(q => q.Count > 0))
            foreach (var queue in byClass.Where(q => q.Count > 0))
                if (chosen.Count < count) chosen.Add(queue.Dequeue());
        return chosen;
    }

    /// <summary>"shirt 62% + coat 38%": the mixed target's two largest shares.</summary>
    private static string MixedCaption(Tensor target, IReadOnlyList<string> classes)
    {
        using (target)
        {
            var shares = target.data<float>().ToArray();
            var top = shares.Select((share, label) => (share, label)).OrderByDescending(p => p.share).Take(2).Where(p => p.share > 0.005f);
            return string.Join(" + ", top.Select(p => $"{classes[p.label]} {p.share:P0}"));
        }
    }
}
