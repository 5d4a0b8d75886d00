using VisionLab.Data.Images;
using VisionLab.Data.Transforms.Images;
using VisionLab.Tests.Support;

namespace VisionLab.Tests.Data.Transforms.Images;

/// <summary>One reference run of torchvision's <c>_apply_op</c> for every AutoAugment-family operation below.</summary>
public sealed class AugmentReference : IDisposable
{
    public static readonly PatternImage[] Images = [new("rgb", 57, 43), new("grey", 40, 33, "L", 6)];

    private static PilParityCase Op(string image, AugmentOp op, double magnitude, Interpolation interpolation = Interpolation.Nearest) =>
        new(new PilCase($"{op}-{magnitude}-{image}-{interpolation}", image, "augment",
                new { name = op.ToString(), magnitude, interpolation = interpolation.ToString().ToLowerInvariant() }),
            i => AugmentOps.Apply(i, op, magnitude, interpolation, new byte[i.Channels]));

    public static readonly PilParityCase[] Cases =
    [
        Op("rgb", AugmentOp.Identity, 0),
        Op("rgb", AugmentOp.ShearX, 0.3), Op("rgb", AugmentOp.ShearX, -0.87), Op("rgb", AugmentOp.ShearX, 0.5, Interpolation.Bilinear),
        Op("rgb", AugmentOp.ShearY, 0.21), Op("grey", AugmentOp.ShearY, -0.6, Interpolation.Bilinear),
        Op("rgb", AugmentOp.TranslateX, 12.7), Op("rgb", AugmentOp.TranslateX, -30.0), Op("rgb", AugmentOp.TranslateY, 7.2),
        Op("grey", AugmentOp.TranslateY, -11.0, Interpolation.Bilinear),
        Op("rgb", AugmentOp.Rotate, 40.5), Op("rgb", AugmentOp.Rotate, -121.5),
        Op("rgb", AugmentOp.Brightness, 0.4), Op("rgb", AugmentOp.Color, -0.7), Op("rgb", AugmentOp.Contrast, 0.85),
        Op("rgb", AugmentOp.Sharpness, 0.9), Op("rgb", AugmentOp.Sharpness, -0.5), Op("grey", AugmentOp.Sharpness, 0.66),
        Op("rgb", AugmentOp.Posterize, 3), Op("rgb", AugmentOp.Posterize, 8), Op("grey", AugmentOp.Posterize, 1),
        Op("rgb", AugmentOp.Solarize, 127.5), Op("rgb", AugmentOp.Solarize, 0), Op("grey", AugmentOp.Solarize, 200),
        Op("rgb", AugmentOp.AutoContrast, 0), Op("grey", AugmentOp.AutoContrast, 0),
        Op("rgb", AugmentOp.Equalize, 0), Op("grey", AugmentOp.Equalize, 0),
        new(new("affine-mixed", "rgb", "affine", new { angle = 17.0, translate = new[] { 3, -2 }, scale = 1.2, shear = new[] { 8.0, -5.0 }, interpolation = "nearest" }),
            i => AffineWarp.Affine(i, 17.0, (3, -2), 1.2, (8.0, -5.0), Interpolation.Nearest, [0, 0, 0])),
    ];

    public PilReference Reference { get; } = new(Images, Cases.Select(c => c.Case));

    public void Dispose() => Reference.Dispose();
}

public class AugmentParityTests(AugmentReference fixture) : IClassFixture<AugmentReference>
{
    public static TheoryData<string> CaseIds => new(AugmentReference.Cases.Select(c => c.Case.Id));

    [Theory]
    [MemberData(nameof(CaseIds))]
    public void Augment_operation_matches_torchvision_apply_op_exactly(string id) =>
        fixture.Reference.AssertMatches(AugmentReference.Cases.Single(c => c.Case.Id == id));
}

public class AugmentPolicyTests
{
    private static ByteImage Pattern(int width, int height)
    {
        var pixels = new byte[width * height * 3];
        new Random(4).NextBytes(pixels);
        return ByteImage.Wrap(pixels, width, height, 3);
    }

    [Fact]
    public void Magnitude_tables_are_torchvisions()
    {
        var wide = new TrivialAugmentWide().Space;
        Assert.Equal(14, wide.Count);
        Assert.Equal(0.99f, (float)wide.Single(s => s.Op == AugmentOp.ShearX).Bins[^1]);
        Assert.Equal(4.5f, (float)wide.Single(s => s.Op == AugmentOp.Rotate).Bins[1]);
        // 8 - round(i / 5): bins 0..30 → 8 … 2, halves rounding to even (i = 15 → 3 → 5).
        var bits = wide.Single(s => s.Op == AugmentOp.Posterize).Bins;
        Assert.Equal(new double[] { 8, 8, 8, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 2, 2, 2 }, bits);
        var rand = new RandAugment().SpaceFor(331, 662);
        Assert.Equal(300f, (float)rand.Single(s => s.Op == AugmentOp.TranslateX).Bins[^1], 3);
        Assert.Equal(150f, (float)rand.Single(s => s.Op == AugmentOp.TranslateY).Bins[^1], 3);
    }

    [Fact]
    public void Augment_policies_are_reproducible_from_the_seed_and_keep_the_size()
    {
        using var image = Pattern(48, 40);
        foreach (IImageTransform policy in new IImageTransform[] { new TrivialAugmentWide(), new RandAugment(ops: 3, magnitude: 12) })
        {
            var first = Enumerable.Range(0, 30).Select(seed => Run(policy, image, seed)).ToArray();
            var second = Enumerable.Range(0, 30).Select(seed => Run(policy, image, seed)).ToArray();
            Assert.Equal(first, second);
            Assert.True(first.Distinct(StringComparer.Ordinal).Count() > 10, $"{policy} barely varies");
        }
    }

    private static string Run(IImageTransform policy, ByteImage image, int seed)
    {
        using var result = policy.Apply(image, new Random(seed));
        Assert.Equal((image.Width, image.Height, image.Channels), (result.Width, result.Height, result.Channels));
        return Convert.ToBase64String(result.Pixels);
    }
}
