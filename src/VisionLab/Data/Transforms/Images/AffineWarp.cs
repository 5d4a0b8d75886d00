using VisionLab.Data.Images;

namespace VisionLab.Data.Transforms.Images;

/// <summary>
/// PIL's <c>Image.transform(size, AFFINE, matrix)</c> keeping the size: each output pixel centre
/// (x + ½, y + ½) is mapped through the inverse <paramref name="matrix"/> (a, b, c, d, e, f:
/// x' = a·x + b·y + c, y' = d·x + e·y + f) into the source. Nearest follows PIL's two engines
/// (16.16 fixed-point stepping, or a per-axis table when the matrix only scales and shifts);
/// bilinear interpolates in float64 and truncates to a byte, clamping neighbours at the edges.
/// Pixels that map outside the source keep the fill colour.
/// </summary>
public static class AffineWarp
{
    public static ByteImage Warp(ByteImage image, double[] matrix, Interpolation interpolation, ReadOnlySpan<byte> fill)
    {
        if (matrix.Length != 6) throw new ArgumentException($"an affine matrix has 6 coefficients, not {matrix.Length}");
        if (fill.Length != image.Channels) throw new ArgumentException($"fill has {fill.Length} values for an image of {image.Channels} channels");
        var output = ByteImage.Filled(image.Width, image.Height, image.Channels, fill);
        switch (interpolation)
        {
            case Interpolation.Nearest when matrix[1] == 0 && matrix[3] == 0:
                ScaleNearest(image, matrix, output);
                break;
            case Interpolation.Nearest:
                Nearest(image, matrix, output);
                break;
            case Interpolation.Bilinear:
                Bilinear(image, matrix, output);
                break;
            default:
                output.Dispose();
                throw new NotSupportedException("affine warps support nearest and bilinear interpolation");
        }
        return output;
    }

    /// <summary>
    /// torchvision's <c>_get_inverse_affine_matrix</c>: the output-to-input matrix of a rotation by
    /// <paramref name="angle"/> degrees, shears in degrees, a scale and a translation, all about <paramref name="center"/>.
    /// </summary>
    public static double[] InverseMatrix((double X, double Y) center, double angle, (double X, double Y) translate, double scale,
        (double X, double Y) shear)
    {
        const double degree = Math.PI / 180.0; // Python's math.radians multiplies by this constant
        double rot = angle * degree, sx = shear.X * degree, sy = shear.Y * degree;
        double a = Math.Cos(rot - sy) / Math.Cos(sy);
        double b = -Math.Cos(rot - sy) * Math.Tan(sx) / Math.Cos(sy) - Math.Sin(rot);
        double c = Math.Sin(rot - sy) / Math.Cos(sy);
        double d = -Math.Sin(rot - sy) * Math.Tan(sx) / Math.Cos(sy) + Math.Cos(rot);
        double[] m = [d / scale, -b / scale, 0.0 / scale, -c / scale, a / scale, 0.0 / scale];
        m[2] += m[0] * (-center.X - translate.X) + m[1] * (-center.Y - translate.Y);
        m[5] += m[3] * (-center.X - translate.X) + m[4] * (-center.Y - translate.Y);
        m[2] += center.X;
        m[5] += center.Y;
        return m;
    }

    /// <summary>torchvision's <c>affine</c> on a PIL image: rotation, translation (whole pixels), scale and shear about the centre (or <paramref name="center"/>).</summary>
    public static ByteImage Affine(ByteImage image, double angle, (int X, int Y) translate, double scale, (double X, double Y) shear,
        Interpolation interpolation, ReadOnlySpan<byte> fill, (double X, double Y)? center = null)
    {
        var matrix = InverseMatrix(center ?? (image.Width * 0.5, image.Height * 0.5), angle, translate, scale, shear);
        return Warp(image, matrix, interpolation, fill);
    }

    /// <summary>PIL's <c>ImagingScaleAffine</c>: a source column per output column, a source row per output row.</summary>
    private static void ScaleNearest(ByteImage image, double[] m, ByteImage output)
    {
        int channels = image.Channels;
        var columns = new int[output.Width];
        int first = output.Width, end = 0;
        double xo = m[2] + m[0] * 0.5;
        for (int x = 0; x < output.Width; x++, xo += m[0])
        {
            int xin = Coordinate(xo);
            if (xin < 0 || xin >= image.Width) continue;
            end = x + 1;
            first = Math.Min(first, x);
            columns[x] = xin;
        }
        ReadOnlySpan<byte> source = image.Pixels;
        double yo = m[5] + m[4] * 0.5;
        for (int y = 0; y < output.Height; y++, yo += m[4])
        {
            int yin = Coordinate(yo);
            if (yin < 0 || yin >= image.Height) continue;
            var row = output.Row(y);
            var sourceRow = source.Slice(yin * image.Stride, image.Stride);
            for (int x = first; x < end; x++)
                sourceRow.Slice(columns[x] * channels, channels).CopyTo(row.Slice(x * channels, channels));
        }
    }

    // PIL's COORD: truncation, with everything left of zero mapped to -1 (outside).
    private static int Coordinate(double v) => v < 0.0 ? -1 : (int)v;

    private static void Nearest(ByteImage image, double[] m, ByteImage output)
    {
        int width = output.Width, height = output.Height;
        foreach (var (x, y) in new[] { (0, 0), (width, height), (0, height), (width, 0) })
        {
            if (!(Math.Abs(x * m[0] + y * m[1] + m[2]) < 32768.0 && Math.Abs(x * m[3] + y * m[4] + m[5]) < 32768.0))
                throw new NotSupportedException($"rotating a {image} image is beyond PIL's fixed-point range");
        }
        int a0 = Fix(m[0]), a1 = Fix(m[1]), a3 = Fix(m[3]), a4 = Fix(m[4]);
        int a2 = Fix(m[2] + m[0] * 0.5 + m[1] * 0.5), a5 = Fix(m[5] + m[3] * 0.5 + m[4] * 0.5);
        ReadOnlySpan<byte> source = image.Pixels;
        int channels = image.Channels;
        for (int y = 0; y < height; y++, a2 += a1, a5 += a4)
        {
            var row = output.Row(y);
            int xx = a2, yy = a5;
            for (int x = 0; x < width; x++, xx += a0, yy += a3)
            {
                int xin = xx >> 16, yin = yy >> 16;
                if (xin < 0 || xin >= image.Width || yin < 0 || yin >= image.Height) continue;
                source.Slice(yin * image.Stride + xin * channels, channels).CopyTo(row.Slice(x * channels, channels));
            }
        }
    }

    private static int Fix(double v)
    {
        double scaled = v * 65536.0 + 0.5;
        return scaled < 0 ? (int)Math.Floor(scaled) : (int)scaled;
    }

    private static void Bilinear(ByteImage image, double[] m, ByteImage output)
    {
        ReadOnlySpan<byte> source = image.Pixels;
        int channels = image.Channels, w = image.Width, h = image.Height, stride = image.Stride;
        for (int y = 0; y < output.Height; y++)
        {
            var row = output.Row(y);
            double yCentre = y + 0.5;
            for (int x = 0; x < output.Width; x++)
            {
                double xCentre = x + 0.5;
                double xin = m[0] * xCentre + m[1] * yCentre + m[2];
                double yin = m[3] * xCentre + m[4] * yCentre + m[5];
                if (xin < 0.0 || xin >= w || yin < 0.0 || yin >= h) continue;
                xin -= 0.5;
                yin -= 0.5;
                int x0 = Floor(xin), y0 = Floor(yin);
                double dx = xin - x0, dy = yin - y0;
                // Neighbours past the edge repeat the edge pixel, as PIL clamps them.
                int left = Math.Clamp(x0, 0, w - 1) * channels, right = Math.Clamp(x0 + 1, 0, w - 1) * channels;
                int top = Math.Clamp(y0, 0, h - 1) * stride;
                bool hasBelow = y0 + 1 >= 0 && y0 + 1 < h;
                int below = hasBelow ? (y0 + 1) * stride : top;
                for (int c = 0; c < channels; c++)
                {
                    double upper = Lerp(source[top + left + c], source[top + right + c], dx);
                    double lower = hasBelow ? Lerp(source[below + left + c], source[below + right + c], dx) : upper;
                    row[x * channels + c] = (byte)Lerp(upper, lower, dy);
                }
            }
        }
    }

    private static int Floor(double v) => v < 0 ? (int)Math.Floor(v) : (int)v;

    private static double Lerp(double a, double b, double d) => a + (b - a) * d;
}
