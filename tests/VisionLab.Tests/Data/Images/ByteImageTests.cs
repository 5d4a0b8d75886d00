using VisionLab.Data.Images;

namespace VisionLab.Tests.Data.Images;

/// <summary>Enlarging a small picture to be looked at: whole pixel blocks, grey widened to colour on request.</summary>
public class ByteImageTests
{
    [Fact]
    public void Enlarged_repeats_each_pixel_as_a_block()
    {
        // 2×2 RGB: red, green / blue, white.
        using var image = ByteImage.Wrap([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255], 2, 2, 3);

        using var large = image.Enlarged(3);

        Assert.Equal((6, 6, 3), (large.Width, large.Height, large.Channels));
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 6; x++)
                Assert.Equal(image.Row(y / 3).Slice(x / 3 * 3, 3).ToArray(), large.Row(y).Slice(x * 3, 3).ToArray());
    }

    [Fact]
    public void Grey_stays_grey_unless_colour_is_asked_for()
    {
        using var image = ByteImage.Wrap([10, 200], 2, 1, 1);

        using var grey = image.Enlarged(2);
        using var rgb = image.Enlarged(2, rgb: true);

        Assert.Equal(new byte[] { 10, 10, 200, 200, 10, 10, 200, 200 }, grey.Pixels.ToArray());
        Assert.Equal((4, 2, 3), (rgb.Width, rgb.Height, rgb.Channels));
        Assert.Equal(new byte[] { 10, 10, 10, 10, 10, 10, 200, 200, 200, 200, 200, 200 }, rgb.Row(1).ToArray());
    }

    [Fact]
    public void A_scale_below_one_is_refused()
    {
        using var image = ByteImage.Wrap([1], 1, 1, 1);

        Assert.Throws<ArgumentOutOfRangeException>(() => image.Enlarged(0));
    }
}
