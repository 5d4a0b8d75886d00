using VisionLab.Data.Images;
using VisionLab.Data.Transforms.Images;
using VisionLab.Tests.Support;

namespace VisionLab.Tests.Data.Transforms.Images;

/// <summary>One reference run of PIL/torchvision for every geometric case below.</summary>
public sealed class GeometryReference : IDisposable
{
    public static readonly PatternImage[] Images =
    [
        new("rgb", 97, 73), new("grey", 61, 83, "L", 2), new("photo", 320, 240, "RGB", 3), new("tiny", 5, 4, "RGB", 4),
    ];

    /// <summary>Each case: torchvision's call, and VisionLab's counterpart.</summary>
    public static readonly PilParityCase[] Cases =
    [
        new(new("resize-shorter-50", "rgb", "resize", new { size = 50 }), i => new Resize(50).Apply(i, Random.Shared)),
        new(new("resize-shorter-224-photo", "photo", "resize", new { size = 224 }), i => new Resize(224).Apply(i, Random.Shared)),
        new(new("resize-shorter-37-grey", "grey", "resize", new { size = 37 }), i => new Resize(37).Apply(i, Random.Shared)),
        new(new("resize-up-150", "rgb", "resize", new { size = 150 }), i => new Resize(150).Apply(i, Random.Shared)),
        new(new("resize-40x150", "rgb", "resize", new { size = new[] { 40, 150 } }), i => new Resize(40, 150).Apply(i, Random.Shared)),
        new(new("resize-200x31", "rgb", "resize", new { size = new[] { 200, 31 } }), i => new Resize(200, 31).Apply(i, Random.Shared)),
        new(new("resize-73x20-width-only", "rgb", "resize", new { size = new[] { 73, 20 } }), i => new Resize(73, 20).Apply(i, Random.Shared)),
        new(new("resize-tiny-up", "tiny", "resize", new { size = new[] { 9, 13 } }), i => new Resize(9, 13).Apply(i, Random.Shared)),
        new(new("resize-bicubic-50", "rgb", "resize", new { size = 50, interpolation = "bicubic" }),
            i => new Resize(50, Interpolation.Bicubic).Apply(i, Random.Shared)),
        new(new("resize-bicubic-up-grey", "grey", "resize", new { size = new[] { 120, 90 }, interpolation = "bicubic" }),
            i => new Resize(120, 90, Interpolation.Bicubic).Apply(i, Random.Shared)),
        new(new("resized-crop", "photo", "resized_crop", new { top = 17, left = 40, height = 150, width = 201, size = new[] { 64, 64 } }),
            i => Resampling.Resize(i, new PixelRegion(17, 40, 150, 201), 64, 64, Interpolation.Bilinear)),
        new(new("resized-crop-up", "rgb", "resized_crop", new { top = 3, left = 7, height = 20, width = 31, size = new[] { 48, 40 } }),
            i => Resampling.Resize(i, new PixelRegion(3, 7, 20, 31), 40, 48, Interpolation.Bilinear)),
        new(new("resized-crop-bicubic", "photo", "resized_crop", new { top = 0, left = 100, height = 240, width = 220, size = new[] { 56, 56 }, interpolation = "bicubic" }),
            i => Resampling.Resize(i, new PixelRegion(0, 100, 240, 220), 56, 56, Interpolation.Bicubic)),
        new(new("center-crop-40", "rgb", "center_crop", new { size = new[] { 40, 40 } }), i => new CenterCrop(40).Apply(i, Random.Shared)),
        new(new("center-crop-odd", "rgb", "center_crop", new { size = new[] { 30, 50 } }), i => new CenterCrop(30, 50).Apply(i, Random.Shared)),
        new(new("center-crop-taller", "rgb", "center_crop", new { size = new[] { 120, 50 } }), i => new CenterCrop(120, 50).Apply(i, Random.Shared)),
        new(new("center-crop-larger", "grey", "center_crop", new { size = new[] { 100, 104 } }), i => new CenterCrop(100, 104).Apply(i, Random.Shared)),
        new(new("crop-outside", "rgb", "crop", new { top = -5, left = 90, height = 20, width = 20 }), i => Cropping.Crop(i, new PixelRegion(-5, 90, 20, 20))),
        new(new("hflip", "rgb", "hflip"), i => i.Apply(Transposition.FlipLeftRight)),
        new(new("vflip-grey", "grey", "vflip"), i => i.Apply(Transposition.FlipTopBottom)),
        new(new("pad-constant", "rgb", "pad", new { padding = new[] { 3, 2, 5, 7 }, mode = "constant", fill = 9 }),
            i => Cropping.Pad(i, 3, 2, 5, 7, PaddingMode.Constant, [9, 9, 9])),
        new(new("pad-edge", "rgb", "pad", new { padding = new[] { 3, 2, 5, 7 }, mode = "edge" }),
            i => Cropping.Pad(i, 3, 2, 5, 7, PaddingMode.Edge, [0, 0, 0])),
        new(new("pad-reflect-wide", "tiny", "pad", new { padding = new[] { 11, 9, 6, 2 }, mode = "reflect" }),
            i => Cropping.Pad(i, 11, 9, 6, 2, PaddingMode.Reflect, [0, 0, 0])),
        new(new("pad-symmetric-wide", "tiny", "pad", new { padding = new[] { 12, 3, 7, 10 }, mode = "symmetric" }),
            i => Cropping.Pad(i, 12, 3, 7, 10, PaddingMode.Symmetric, [0, 0, 0])),
    ];

    public PilReference Reference { get; } = new(Images, Cases.Select(c => c.Case));

    public void Dispose() => Reference.Dispose();
}

public class GeometryParityTests(GeometryReference fixture) : IClassFixture<GeometryReference>
{
    public static TheoryData<string> CaseIds => new(GeometryReference.Cases.Select(c => c.Case.Id));

    [Theory]
    [MemberData(nameof(CaseIds))]
    public void Geometric_transform_matches_torchvision_on_PIL_exactly(string id)
    {
        fixture.Reference.AssertMatches(GeometryReference.Cases.Single(c => c.Case.Id == id));
    }

    [Fact]
    public void Decoded_PNG_pattern_equals_the_pixels_PIL_holds()
    {
        foreach (var image in GeometryReference.Images)
        {
            using var expected = fixture.Reference.Image(image.Name);
            using var decoded = ImageDecoder.Default.Decode(fixture.Reference.File(image.Name + ".png"), image.Mode == "L" ? 1 : 3);
            ImageAssert.Equal(expected, decoded, what: image.Name);
        }
    }
}
