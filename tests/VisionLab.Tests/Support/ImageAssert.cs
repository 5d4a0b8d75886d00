using VisionLab.Data.Images;

namespace VisionLab.Tests.Support;

/// <summary>Comparisons of 8-bit images that say where and by how much they differ.</summary>
public static class ImageAssert
{
    /// <summary>The largest per-byte difference between two images of the same size and channels.</summary>
    public static int MaxDifference(ByteImage expected, ByteImage actual)
    {
        Assert.True(expected.Width == actual.Width && expected.Height == actual.Height && expected.Channels == actual.Channels,
            $"expected a {expected}, got a {actual}");
        ReadOnlySpan<byte> a = expected.Pixels, b = actual.Pixels;
        int max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    public static void Equal(ByteImage expected, ByteImage actual, int tolerance = 0, string? what = null)
    {
        int difference = MaxDifference(expected, actual);
        Assert.True(difference <= tolerance, $"{what ?? "image"}: largest difference {difference} levels, allowed {tolerance}");
    }
}
