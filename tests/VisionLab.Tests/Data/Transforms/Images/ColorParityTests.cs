using VisionLab.Data.Images;
using VisionLab.Data.Transforms.Images;
using VisionLab.Tests.Support;

namespace VisionLab.Tests.Data.Transforms.Images;

/// <summary>One reference run of PIL/torchvision for the colour, rotation and normalisation cases below.</summary>
public sealed class ColorReference : IDisposable
{
    public static readonly PatternImage[] Images =
    [
        new("rgb", 67, 51), new("grey", 45, 38, "L", 2), new("colors", 52 * 52, 256, "COLORS"),
    ];

    private static readonly byte[] Black = [0, 0, 0];

    public static readonly PilParityCase[] Cases =
    [
        new(new("brightness-0.6", "rgb", "brightness", new { factor = 0.6 }), i => ColorAdjustments.AdjustBrightness(i, 0.6)),
        new(new("brightness-1.37", "rgb", "brightness", new { factor = 1.37 }), i => ColorAdjustments.AdjustBrightness(i, 1.37)),
        new(new("contrast-0.3", "rgb", "contrast", new { factor = 0.3 }), i => ColorAdjustments.AdjustContrast(i, 0.3)),
        new(new("contrast-1.8", "rgb", "contrast", new { factor = 1.8 }), i => ColorAdjustments.AdjustContrast(i, 1.8)),
        new(new("contrast-grey-1.4", "grey", "contrast", new { factor = 1.4 }), i => ColorAdjustments.AdjustContrast(i, 1.4)),
        new(new("saturation-0.2", "rgb", "saturation", new { factor = 0.2 }), i => ColorAdjustments.AdjustSaturation(i, 0.2)),
        new(new("saturation-1.9", "colors", "saturation", new { factor = 1.9 }), i => ColorAdjustments.AdjustSaturation(i, 1.9)),
        new(new("hue-0.1", "colors", "hue", new { factor = 0.1 }), i => ColorAdjustments.AdjustHue(i, 0.1)),
        new(new("hue-minus-0.37", "colors", "hue", new { factor = -0.37 }), i => ColorAdjustments.AdjustHue(i, -0.37)),
        new(new("hue-0", "colors", "hue", new { factor = 0.0 }), i => ColorAdjustments.AdjustHue(i, 0.0)),
        new(new("grayscale-1", "colors", "grayscale", new { channels = 1 }), i => Grayscale.ToGrey(i, 1)),
        new(new("grayscale-3", "rgb", "grayscale", new { channels = 3 }), i => Grayscale.ToGrey(i, 3)),
        new(new("rotate-nearest-33", "rgb", "rotate", new { angle = 33.0, interpolation = "nearest" }),
            i => Rotation.Rotate(i, 33.0, Interpolation.Nearest, Black)),
        new(new("rotate-nearest-minus-71.3", "rgb", "rotate", new { angle = -71.3, interpolation = "nearest", fill = new[] { 10, 200, 30 } }),
            i => Rotation.Rotate(i, -71.3, Interpolation.Nearest, [10, 200, 30])),
        new(new("rotate-nearest-90-not-square", "rgb", "rotate", new { angle = 90.0, interpolation = "nearest" }),
            i => Rotation.Rotate(i, 90.0, Interpolation.Nearest, Black)),
        new(new("rotate-bilinear-12.5", "rgb", "rotate", new { angle = 12.5, interpolation = "bilinear" }),
            i => Rotation.Rotate(i, 12.5, Interpolation.Bilinear, Black)),
        new(new("rotate-bilinear-grey-200", "grey", "rotate", new { angle = 200.0, interpolation = "bilinear", fill = 77 }),
            i => Rotation.Rotate(i, 200.0, Interpolation.Bilinear, [77])),
        new(new("rotate-180", "grey", "rotate", new { angle = 180.0, interpolation = "bilinear" }),
            i => Rotation.Rotate(i, 180.0, Interpolation.Bilinear, [0])),
    ];

    public static readonly PilCase Normalized = new("normalize", "rgb", "to_tensor_normalize",
        new { mean = ToTensorNormalize.ImageNetMean, std = ToTensorNormalize.ImageNetStd });

    public static readonly PilCase NormalizedGrey = new("normalize-grey", "grey", "to_tensor_normalize",
        new { mean = new[] { 0.5f }, std = new[] { 0.25f } });

    public PilReference Reference { get; } = new(Images, Cases.Select(c => c.Case).Append(Normalized).Append(NormalizedGrey));

    public void Dispose() => Reference.Dispose();
}

public class ColorParityTests(ColorReference fixture) : IClassFixture<ColorReference>
{
    public static TheoryData<string> CaseIds => new(ColorReference.Cases.Select(c => c.Case.Id));

    [Theory]
    [MemberData(nameof(CaseIds))]
    public void Colour_and_rotation_match_torchvision_on_PIL_exactly(string id)
    {
        fixture.Reference.AssertMatches(ColorReference.Cases.Single(c => c.Case.Id == id));
    }

    [Fact]
    public void ToTensorNormalize_matches_torchvision_to_tensor_and_normalize_bit_for_bit()
    {
        foreach (var (pilCase, normalize) in new[]
                 {
                     (ColorReference.Normalized, new ToTensorNormalize()),
                     (ColorReference.NormalizedGrey, new ToTensorNormalize([0.5f], [0.25f])),
                 })
        {
            using var input = fixture.Reference.Image(pilCase.Image);
            var actual = new float[input.Length];
            normalize.Write(input, actual);
            Assert.Equal(fixture.Reference.FloatResult(pilCase.Id), actual);
        }
    }

    [Fact]
    public void Luma_matches_PIL_convert_L_for_every_sampled_colour()
    {
        using var colours = fixture.Reference.Image("colors");
        using var expected = fixture.Reference.Result("grayscale-1");
        using var grey = ColorConversion.ToGrey(colours);
        ImageAssert.Equal(expected, grey);
    }
}
