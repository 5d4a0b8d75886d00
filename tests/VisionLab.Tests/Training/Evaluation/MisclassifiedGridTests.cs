using SkiaSharp;
using VisionLab.Data;
using VisionLab.Data.Transforms;
using VisionLab.Reporting;
using VisionLab.Training.Metrics;

namespace VisionLab.Tests.Training.Evaluation;

/// <summary>The grid of misclassified images: pictures as the model saw them, enlarged, with
/// captions wide enough to read.</summary>
public class MisclassifiedGridTests
{
    private static readonly IReadOnlyList<string> Fashion = ImageClassificationData.FashionMnistClasses;
    private static readonly EvalTransform Grey28 = new(1, 28, 28, [0.286f], [0.353f]);

    // ImageGrid's layout: 8-pixel gaps around the cells and a 36-pixel band for the title.
    private const int Gap = 8, TitleBand = 36;

    /// <summary>A 28×28 grey pattern, and the same normalised as the model sees it.</summary>
    private static (byte[] Pixels, float[] Normalised) Pattern(int seed)
    {
        var pixels = Enumerable.Range(0, 28 * 28).Select(i => (byte)((i % 28 * 9 + i / 28 * 3 + seed * 50) % 256)).ToArray();
        return (pixels, [.. pixels.Select(v => (v / 255f - 0.286f) / 0.353f)]);
    }

    private static MisclassifiedExample Example(int index, int trueClass, int predicted, float probability, float[] pixels) =>
        new(new Misclassification(index, trueClass, predicted, 0.05f, probability), pixels, new ImageShape(1, 28, 28));

    [Fact]
    public void Captions_name_the_true_and_predicted_class_and_the_probability()
    {
        Assert.Equal("true: Shirt / predicted: T-shirt/top 71 %",
            MisclassifiedGrid.Caption(new Misclassification(3, 6, 0, 0.2f, 0.71f), Fashion));
        Assert.Equal("true: class 12 / predicted: Bag 100 %",
            MisclassifiedGrid.Caption(new Misclassification(3, 12, 8, 0f, 0.9996f), Fashion));
    }

    [Fact]
    public void A_28_pixel_image_is_shown_enlarged_six_times_above_a_caption_that_fits()
    {
        var (pixels, normalised) = Pattern(1);

        byte[] png = MisclassifiedGrid.RenderPng([Example(3, 6, 0, 0.71f, normalised)], Fashion, Grey28, "mistakes");

        using var grid = SKBitmap.Decode(png);
        Assert.NotNull(grid);
        const int shown = 28 * 6;
        int cellWidth = grid.Width - 2 * Gap;
        // The caption (about 230 pixels at 12 px) is wider than the 168-pixel picture: the cell grows to it.
        Assert.InRange(cellWidth, shown + 40, shown + 120);
        const int left = Gap;
        for (int y = 0; y < shown; y++)
        for (int x = 0; x < shown; x++)
        {
            var colour = grid.GetPixel(left + x, TitleBand + y);
            byte expected = pixels[y / 6 * 28 + x / 6];
            Assert.True(Math.Abs(colour.Red - expected) <= 1 && colour.Red == colour.Green && colour.Green == colour.Blue,
                $"pixel ({x}, {y}) is {colour}, expected grey {expected}");
        }
        // White around the picture, and to its right as far as the caption reaches.
        Assert.Equal(SKColors.White, grid.GetPixel(left - 1, TitleBand + shown / 2));
        Assert.Equal(SKColors.White, grid.GetPixel(left + shown, TitleBand + shown / 2));
        Assert.Equal(SKColors.White, grid.GetPixel(left + cellWidth - 1, TitleBand + shown / 2));
        Assert.Equal(SKColors.White, grid.GetPixel(left + shown / 2, TitleBand + shown));
    }

    [Fact]
    public void Several_images_fill_a_square_ish_grid()
    {
        var examples = Enumerable.Range(0, 5).Select(i => Example(i, 6, 0, 0.9f - i * 0.1f, Pattern(i).Normalised)).ToArray();

        using var grid = SKBitmap.Decode(MisclassifiedGrid.RenderPng(examples, Fashion, Grey28, "five mistakes"));

        // 5 images: 3 columns, 2 rows of 168-pixel pictures with their captions.
        Assert.InRange(grid.Width, 3 * (168 + 40), 3 * (168 + 130));
        Assert.InRange(grid.Height, TitleBand + 2 * 168, TitleBand + 2 * (168 + 40));
    }

    [Fact]
    public void Images_of_another_shape_than_the_transform_makes_are_refused()
    {
        var wrong = new MisclassifiedExample(new Misclassification(0, 1, 2, 0.1f, 0.8f), new float[3 * 32 * 32], new ImageShape(3, 32, 32));

        var e = Assert.Throws<VisionLabException>(() => MisclassifiedGrid.RenderPng([wrong], Fashion, Grey28, "t"));
        Assert.Contains("3x32x32", e.Message);
        Assert.Throws<ArgumentException>(() => MisclassifiedGrid.RenderPng([], Fashion, Grey28, "t"));
    }
}
