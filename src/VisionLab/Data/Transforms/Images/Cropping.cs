using VisionLab.Data.Images;

namespace VisionLab.Data.Transforms.Images;

/// <summary>Cutting rectangles out of images and padding them, with PIL's and NumPy's semantics.</summary>
public static class Cropping
{
    /// <summary>
    /// PIL's <c>crop</c>: the pixels of <paramref name="region"/>, which may extend past the image;
    /// the part outside is black (0), as PIL fills it.
    /// </summary>
    public static ByteImage Crop(ByteImage image, PixelRegion region)
    {
        if (region.LiesWithin(image.Width, image.Height))
        {
            var output = ByteImage.Create(region.Width, region.Height, image.Channels);
            ReadOnlySpan<byte> source = image.Pixels;
            int rowBytes = region.Width * image.Channels;
            for (int y = 0; y < region.Height; y++)
                source.Slice((region.Top + y) * image.Stride + region.Left * image.Channels, rowBytes).CopyTo(output.Row(y));
            return output;
        }
        var columns = AxisMap.Pad(AxisMap.Identity(image.Width), -region.Left, region.Right - image.Width, PaddingMode.Constant);
        var rows = AxisMap.Pad(AxisMap.Identity(image.Height), -region.Top, region.Bottom - image.Height, PaddingMode.Constant);
        return Remap(image, columns, rows, new byte[image.Channels]);
    }

    /// <summary>
    /// The image whose pixel (x, y) is the source pixel (<paramref name="columns"/>[x],
    /// <paramref name="rows"/>[y]), or <paramref name="fill"/> where either map says <see cref="AxisMap.Fill"/>.
    /// </summary>
    public static ByteImage Remap(ByteImage image, int[] columns, int[] rows, ReadOnlySpan<byte> fill)
    {
        int channels = image.Channels;
        if (fill.Length != channels) throw new ArgumentException($"fill has {fill.Length} values for an image of {channels} channels");
        var output = ByteImage.Create(columns.Length, rows.Length, channels);
        ReadOnlySpan<byte> source = image.Pixels;
        for (int y = 0; y < rows.Length; y++)
        {
            var row = output.Row(y);
            if (rows[y] == AxisMap.Fill)
            {
                for (int x = 0; x < row.Length; x += channels) fill.CopyTo(row.Slice(x, channels));
                continue;
            }
            var sourceRow = source.Slice(rows[y] * image.Stride, image.Stride);
            for (int x = 0; x < columns.Length; x++)
            {
                var pixel = row.Slice(x * channels, channels);
                if (columns[x] == AxisMap.Fill) fill.CopyTo(pixel);
                else sourceRow.Slice(columns[x] * channels, channels).CopyTo(pixel);
            }
        }
        return output;
    }

    /// <summary>torchvision's <c>pad</c> on a PIL image: <paramref name="left"/>, <paramref name="top"/>, <paramref name="right"/>, <paramref name="bottom"/> pixels added (negative values crop).</summary>
    public static ByteImage Pad(ByteImage image, int left, int top, int right, int bottom, PaddingMode mode, ReadOnlySpan<byte> fill) =>
        Remap(image,
            AxisMap.Pad(AxisMap.Identity(image.Width), left, right, mode),
            AxisMap.Pad(AxisMap.Identity(image.Height), top, bottom, mode),
            fill);
}
