using VisionLab.Data.Images;
using VisionLab.Data.Loading;
using VisionLab.Data.Transforms.Images;

namespace VisionLab.Data.Folders;

/// <summary>
/// The files of an <see cref="ImageFolder"/> (or a subset of them) as loader samples: decode with
/// the pipeline's channels, then the pipeline's transforms and normalisation — torchvision's
/// <c>ImageFolder</c> with its <c>transform</c>.
/// </summary>
public sealed class ImageFolderSamples : IImageSampleSource
{
    private readonly IReadOnlyList<LabelledFile> files;
    private readonly ImageDecoder decoder;

    public ImageFolderSamples(string name, IReadOnlyList<string> classes, IReadOnlyList<LabelledFile> files,
        ImagePipeline pipeline, ImageDecoder? decoder = null)
    {
        Name = name;
        Classes = classes;
        this.files = files;
        Pipeline = pipeline;
        OutputShape = pipeline.OutputShape;
        this.decoder = decoder ?? ImageDecoder.Default;
    }

    public ImageFolderSamples(ImageFolder folder, ImagePipeline pipeline, ImageDecoder? decoder = null)
        : this(folder.Root, folder.Classes, folder.Files, pipeline, decoder)
    {
    }

    public string Name { get; }
    public IReadOnlyList<string> Classes { get; }
    public ImagePipeline Pipeline { get; }
    public ImageShape OutputShape { get; }
    public int Count => files.Count;

    public int LabelOf(int index) => files[index].Label;

    public string Describe(int index) => files[index].Path;

    public void Prepare(int index, Random random, Span<float> destination)
    {
        using var image = decoder.Decode(files[index].Path, Pipeline.Channels);
        Pipeline.Apply(image, random, destination);
    }
}
