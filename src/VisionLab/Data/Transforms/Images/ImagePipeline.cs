using VisionLab.Data.Images;

namespace VisionLab.Data.Transforms.Images;

/// <summary>
/// The whole preparation of one decoded image for a model: the image transforms, then ToTensor +
/// Normalize into a float32 C×H×W destination, then transforms on those floats (RandomErasing).
/// A loader calls <see cref="Apply(ByteImage, Random, Span{float})"/> with a slot of its batch.
/// </summary>
public sealed class ImagePipeline(IReadOnlyList<IImageTransform> imageTransforms, ToTensorNormalize toTensor,
    IReadOnlyList<ITensorTransform>? tensorTransforms = null)
{
    private readonly Compose image = new(imageTransforms);

    public IReadOnlyList<IImageTransform> ImageTransforms => image.Steps;
    public ToTensorNormalize ToTensor { get; } = toTensor;
    public IReadOnlyList<ITensorTransform> TensorTransforms { get; } = tensorTransforms ?? [];

    public int Channels => ToTensor.Channels;

    /// <summary>
    /// The height and width every output has, when the transforms fix it (the last resizing step
    /// is a crop or a two-sided resize); null when it depends on the input image.
    /// </summary>
    public (int Height, int Width)? OutputSize =>
        image.Steps.OfType<IResizingTransform>().LastOrDefault()?.OutputSize;

    /// <summary>The shape of every output, for allocating batches; fails when the size depends on the input.</summary>
    public ImageShape OutputShape => OutputSize is var (h, w)
        ? new ImageShape(Channels, h, w)
        : throw new VisionLabException("the transforms do not fix the output size; end them with a crop or a two-sided resize");

    /// <summary>Prepares <paramref name="source"/> (left undisposed) into <paramref name="destination"/>, C×H×W floats.</summary>
    public void Apply(ByteImage source, Random random, Span<float> destination)
    {
        var prepared = image.Apply(source, random);
        try
        {
            if (prepared.Channels != Channels)
                throw new VisionLabException($"the transforms produced a {prepared.Channels}-channel image; normalisation expects {Channels}");
            ToTensor.Write(prepared, destination);
            foreach (var step in TensorTransforms) step.Apply(destination, prepared.Shape, random);
        }
        finally
        {
            if (!ReferenceEquals(prepared, source)) prepared.Dispose();
        }
    }

    /// <summary>Prepares <paramref name="source"/> into a new array; its shape is returned in <paramref name="shape"/>.</summary>
    public float[] Apply(ByteImage source, Random random, out ImageShape shape)
    {
        (var output, shape, _) = Prepare(source, random, keepPicture: false);
        return output;
    }

    /// <summary>
    /// Prepares <paramref name="source"/> into a new array and also returns the picture the model
    /// sees — the image after the image transforms, before normalisation — as a copy in a managed
    /// array (for overlays and grids a person looks at).
    /// </summary>
    public float[] ApplyKeepingPicture(ByteImage source, Random random, out ByteImage picture)
    {
        (var output, _, var kept) = Prepare(source, random, keepPicture: true);
        picture = kept!;
        return output;
    }

    private (float[] Output, ImageShape Shape, ByteImage? Picture) Prepare(ByteImage source, Random random, bool keepPicture)
    {
        var prepared = image.Apply(source, random);
        try
        {
            var shape = prepared.Shape;
            var output = new float[shape.Elements];
            ToTensor.Write(prepared, output);
            foreach (var step in TensorTransforms) step.Apply(output, shape, random);
            var picture = keepPicture ? ByteImage.Wrap(prepared.Pixels.ToArray(), prepared.Width, prepared.Height, prepared.Channels) : null;
            return (output, shape, picture);
        }
        finally
        {
            if (!ReferenceEquals(prepared, source)) prepared.Dispose();
        }
    }

    public override string ToString() =>
        string.Join(" -> ", ImageTransforms.Select(t => t.ToString()).Append(ToTensor.ToString()).Concat(TensorTransforms.Select(t => t.ToString())));
}
