using System.Globalization;
using SkiaSharp;
using VisionLab.Data.Images;
using VisionLab.Data.Transforms;
using VisionLab.Training.Metrics;

namespace VisionLab.Reporting;

/// <summary>
/// Misclassified images as a PNG grid, each as the model saw it (de-normalised and enlarged, see
/// <see cref="InputPictures"/>) and captioned "true: Shirt / predicted: T-shirt/top 71 %".
/// </summary>
public static class MisclassifiedGrid
{
    // ImageGrid writes captions in this size on one line, cut to the cell's width: a cell is made
    // as wide as its caption so the predicted class and its probability stay readable.
    private const float CaptionFontSize = 12;
    private const int CaptionMargin = 4;

    public static byte[] RenderPng(IReadOnlyList<MisclassifiedExample> examples, IReadOnlyList<string> classes,
        EvalTransform transform, string title)
    {
        if (examples.Count == 0) throw new ArgumentException("a grid of misclassified images needs at least one", nameof(examples));
        var input = transform.Input;
        foreach (var e in examples)
            if (e.Shape != input || e.Pixels.Length != input.Elements)
                throw new VisionLabException($"a misclassified image of shape {e.Shape} is not the {input} the evaluation transform prepares");
        var pictures = new InputPictures(transform);
        var captions = examples.Select(e => Caption(e.Mistake, classes)).ToArray();
        using var font = new SKFont(Typefaces.Sans, CaptionFontSize);
        int cellWidth = Math.Max(input.Width * pictures.Scale, (int)Math.Ceiling(captions.Max(c => font.MeasureText(c))) + CaptionMargin);

        var cells = new List<(ByteImage, string)>();
        try
        {
            for (int i = 0; i < examples.Count; i++)
            {
                using var picture = pictures.Render(examples[i].Pixels);
                cells.Add((Widened(picture, cellWidth), captions[i]));
            }
            return ImageGrid.RenderPng(cells, (int)Math.Ceiling(Math.Sqrt(examples.Count)), title);
        }
        finally
        {
            foreach (var (image, _) in cells) image.Dispose();
        }
    }

    /// <summary>"true: Shirt / predicted: T-shirt/top 71 %": the predicted class's probability in
    /// whole percent.</summary>
    public static string Caption(Misclassification mistake, IReadOnlyList<string> classes) =>
        string.Create(CultureInfo.InvariantCulture,
            $"true: {ClassName(mistake.TrueClass, classes)} / predicted: {ClassName(mistake.PredictedClass, classes)} {mistake.PredictedProbability * 100:0} %");

    private static string ClassName(int index, IReadOnlyList<string> classes) =>
        index >= 0 && index < classes.Count ? classes[index] : $"class {index}";

    /// <summary>The picture on the left of a white cell <paramref name="width"/> wide, above the
    /// left-aligned caption.</summary>
    private static ByteImage Widened(ByteImage picture, int width)
    {
        if (picture.Width >= width) return picture.Clone();
        byte[] white = [.. Enumerable.Repeat((byte)255, picture.Channels)];
        var cell = ByteImage.Filled(width, picture.Height, picture.Channels, white);
        for (int y = 0; y < picture.Height; y++) picture.Row(y).CopyTo(cell.Row(y));
        return cell;
    }
}
