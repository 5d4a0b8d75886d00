using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using VisionLab.Data.Images;

namespace VisionLab.Data.Transforms.Images;

/// <summary>
/// PIL's resize (<c>ImagingResample</c>), reproduced bit for bit for 8-bit images: two separable
/// passes, horizontal then vertical, each a convolution whose filter (triangle for bilinear, Keys
/// cubic with a = −0.5 for bicubic) is stretched by the downscale factor, so shrinking averages
/// every source pixel instead of skipping most of them (antialiasing). Coefficients are normalised
/// to sum to one, then held as fixed-point integers with 22 fractional bits; each pass rounds and
/// clips to 0–255 before the next, as PIL does. Matching those integer steps is what makes the
/// output equal to PIL's rather than merely close.
/// </summary>
public static class Resampling
{
    private const int PrecisionBits = 32 - 8 - 2;
    private const int Half = 1 << (PrecisionBits - 1);

    /// <summary>
    /// Resizes <paramref name="region"/> of <paramref name="image"/> to <paramref name="width"/> ×
    /// <paramref name="height"/>: PIL's <c>image.crop(region).resize((width, height), filter)</c>
    /// without making the crop (only pixels inside the region contribute, as with the crop).
    /// </summary>
    public static ByteImage Resize(ByteImage image, PixelRegion region, int width, int height, Interpolation filter)
    {
        if (!region.LiesWithin(image.Width, image.Height))
            throw new ArgumentException($"region {region} is not inside the {image.Width}x{image.Height} image");
        if (width <= 0 || height <= 0) throw new ArgumentException($"target size {width}x{height} must be positive");
        if (filter == Interpolation.Nearest)
            throw new NotSupportedException("resizing supports bilinear and bicubic filters");

        int channels = image.Channels;
        bool horizontal = width != region.Width;
        bool vertical = height != region.Height;
        var output = ByteImage.Create(width, height, channels);
        ReadOnlySpan<byte> source = image.Pixels;
        int sourceStride = image.Stride;
        int regionStart = region.Top * sourceStride + region.Left * channels;

        if (!horizontal && !vertical)
        {
            for (int y = 0; y < height; y++)
                source.Slice(regionStart + y * sourceStride, width * channels).CopyTo(output.Row(y));
            return output;
        }

        var rows = Coefficients.For(region.Height, height, filter);
        if (!horizontal)
        {
            Vertical(source[regionStart..], sourceStride, width * channels, rows, output);
            return output;
        }

        var columns = Coefficients.For(region.Width, width, filter);
        // The horizontal pass only needs the source rows the vertical pass will read.
        int firstRow = vertical ? rows.Start[0] : 0;
        int lastRow = vertical ? rows.Start[height - 1] + rows.Count[height - 1] : region.Height;
        if (!vertical)
        {
            Horizontal(source[regionStart..], sourceStride, channels, 0, height, columns, output.Pixels, output.Stride);
            return output;
        }

        int temporaryStride = width * channels;
        byte[] temporary = ArrayPool<byte>.Shared.Rent((lastRow - firstRow) * temporaryStride);
        try
        {
            Horizontal(source[regionStart..], sourceStride, channels, firstRow, lastRow - firstRow, columns, temporary, temporaryStride);
            Vertical(temporary.AsSpan(0, (lastRow - firstRow) * temporaryStride), temporaryStride, temporaryStride,
                rows.ShiftedBy(-firstRow), output);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(temporary);
        }
        return output;
    }

    /// <summary>Convolves each row along x: for every output column, a weighted sum of a run of source columns.</summary>
    private static void Horizontal(ReadOnlySpan<byte> source, int sourceStride, int channels, int firstRow, int rowCount,
        Coefficients columns, Span<byte> destination, int destinationStride)
    {
        int outWidth = columns.Start.Length;
        int[]? pairWeights = channels == 3 && Avx2.IsSupported ? columns.RgbPairWeights() : null;
        for (int y = 0; y < rowCount; y++)
        {
            var row = source[((firstRow + y) * sourceStride)..];
            var output = destination.Slice(y * destinationStride, outWidth * channels);
            if (channels == 1) HorizontalGrey(row, columns, output);
            else if (pairWeights is not null) HorizontalRgbAvx2(row, columns, pairWeights, output);
            else
            {
                for (int x = 0; x < outWidth; x++) HorizontalRgbPixel(row, columns, x, output);
            }
        }
    }

    private static void HorizontalGrey(ReadOnlySpan<byte> row, Coefficients columns, Span<byte> output)
    {
        // The coefficients' runs lie inside the row by construction, so the hot loop reads through
        // references without per-element bounds checks.
        ref int weights = ref MemoryMarshal.GetArrayDataReference(columns.Weights);
        ref byte first = ref MemoryMarshal.GetReference(row);
        for (int x = 0; x < output.Length; x++)
        {
            ref int k = ref Unsafe.Add(ref weights, x * columns.KernelSize);
            ref byte pixel = ref Unsafe.Add(ref first, columns.Start[x]);
            int sum = Half;
            for (int t = 0; t < columns.Count[x]; t++) sum += Unsafe.Add(ref pixel, t) * Unsafe.Add(ref k, t);
            output[x] = Clip(sum);
        }
    }

    private static void HorizontalRgbPixel(ReadOnlySpan<byte> row, Coefficients columns, int x, Span<byte> output)
    {
        ref int k = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(columns.Weights), x * columns.KernelSize);
        ref byte pixel = ref Unsafe.Add(ref MemoryMarshal.GetReference(row), columns.Start[x] * 3);
        int r = Half, g = Half, b = Half;
        for (int t = 0; t < columns.Count[x]; t++)
        {
            int w = Unsafe.Add(ref k, t);
            ref byte p = ref Unsafe.Add(ref pixel, 3 * t);
            r += p * w;
            g += Unsafe.Add(ref p, 1) * w;
            b += Unsafe.Add(ref p, 2) * w;
        }
        output[3 * x] = Clip(r);
        output[3 * x + 1] = Clip(g);
        output[3 * x + 2] = Clip(b);
    }

    /// <summary>
    /// Two RGB taps per step: 8 bytes loaded, shuffled to r g b 0 r' g' b' 0, widened to eight
    /// ints and multiplied by (w w w w w' w' w' w'). Integer sums in the same fixed point as the
    /// scalar loop, so the bytes are identical, only sooner.
    /// </summary>
    private static void HorizontalRgbAvx2(ReadOnlySpan<byte> row, Coefficients columns, int[] pairWeights, Span<byte> output)
    {
        var spread = Vector128.Create((byte)0, 1, 2, 0x80, 3, 4, 5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80);
        var half = Vector128.Create(Half);
        int pairsPerColumn = (columns.KernelSize + 1) / 2;
        int outWidth = columns.Start.Length;
        ref byte first = ref MemoryMarshal.GetReference(row);
        ref byte result = ref MemoryMarshal.GetReference(output);
        ref int weights = ref MemoryMarshal.GetArrayDataReference(pairWeights);
        ref int starts = ref MemoryMarshal.GetArrayDataReference(columns.Start);
        ref int counts = ref MemoryMarshal.GetArrayDataReference(columns.Count);
        for (int x = 0; x < outWidth; x++)
        {
            int start = Unsafe.Add(ref starts, x) * 3;
            int pairs = (Unsafe.Add(ref counts, x) + 1) / 2;
            // Each load reads 8 bytes from a pair's first pixel, and each store writes 4 bytes (the
            // fourth is overwritten by the next pixel): near either buffer's end, go bytewise.
            if (start + 6 * pairs + 2 > row.Length || x == outWidth - 1)
            {
                HorizontalRgbPixel(row, columns, x, output);
                continue;
            }
            ref int k = ref Unsafe.Add(ref weights, x * pairsPerColumn * 8);
            var sum = Vector256<int>.Zero;
            for (int pair = 0; pair < pairs; pair++)
            {
                var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref first, start + 6 * pair))).AsByte();
                var pixels = Avx2.ConvertToVector256Int32(Ssse3.Shuffle(bytes, spread));
                sum += pixels * Vector256.LoadUnsafe(ref k, (nuint)(8 * pair));
            }
            // Shift out the fraction; the saturating packs clip to 0..255 as PIL's clip8 does.
            var levels = Vector128.ShiftRightArithmetic(sum.GetLower() + sum.GetUpper() + half, PrecisionBits);
            var words = Sse2.PackSignedSaturate(levels, levels);
            var clipped = Sse2.PackUnsignedSaturate(words, words);
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref result, 3 * x), clipped.AsUInt32().ToScalar());
        }
    }

    /// <summary>
    /// Convolves along y a whole row at a time (weighted sum of source rows into an accumulator
    /// row): the same sums as PIL's per-pixel loop, in an order that streams through memory and
    /// vectorises.
    /// </summary>
    private static void Vertical(ReadOnlySpan<byte> source, int sourceStride, int rowBytes, Coefficients rows, ByteImage output)
    {
        int kernel = rows.KernelSize;
        int[] accumulator = ArrayPool<int>.Shared.Rent(rowBytes);
        try
        {
            var sums = accumulator.AsSpan(0, rowBytes);
            for (int y = 0; y < output.Height; y++)
            {
                sums.Fill(Half);
                ReadOnlySpan<int> k = rows.Weights.AsSpan(y * kernel, rows.Count[y]);
                for (int t = 0; t < k.Length; t++)
                    AddWeighted(source.Slice((rows.Start[y] + t) * sourceStride, rowBytes), k[t], sums);
                var destination = output.Row(y);
                for (int i = 0; i < rowBytes; i++) destination[i] = Clip(sums[i]);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(accumulator);
        }
    }

    /// <summary>sums[i] += line[i] * weight, eight bytes at a time where AVX2 allows.</summary>
    private static void AddWeighted(ReadOnlySpan<byte> line, int weight, Span<int> sums)
    {
        int i = 0;
        if (Avx2.IsSupported)
        {
            var w = Vector256.Create(weight);
            ref byte bytes = ref MemoryMarshal.GetReference(line);
            ref int totals = ref MemoryMarshal.GetReference(sums);
            for (; i <= line.Length - 8; i += 8)
            {
                var eight = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref bytes, i))).AsByte();
                var widened = Avx2.ConvertToVector256Int32(eight);
                var total = Vector256.LoadUnsafe(ref totals, (nuint)i);
                (total + widened * w).StoreUnsafe(ref totals, (nuint)i);
            }
        }
        for (; i < line.Length; i++) sums[i] += line[i] * weight;
    }

    private static byte Clip(int sum)
    {
        int value = sum >> PrecisionBits;
        return value < 0 ? (byte)0 : value > 255 ? (byte)255 : (byte)value;
    }

    /// <summary>
    /// Per output position: the first source index, the number of taps, and their fixed-point
    /// weights (PIL's <c>precompute_coeffs</c> + <c>normalize_coeffs_8bpc</c>).
    /// </summary>
    private sealed class Coefficients
    {
        public required int KernelSize { get; init; }
        public required int[] Start { get; init; }
        public required int[] Count { get; init; }
        public required int[] Weights { get; init; }

        /// <summary>
        /// The weights laid out for <see cref="HorizontalRgbAvx2"/>: per output column, taps in
        /// pairs, each tap's weight repeated four times (r, g, b and an unused lane), zero-padded.
        /// </summary>
        public int[] RgbPairWeights()
        {
            int pairsPerColumn = (KernelSize + 1) / 2;
            var expanded = new int[Start.Length * pairsPerColumn * 8];
            for (int x = 0; x < Start.Length; x++)
            for (int t = 0; t < Count[x]; t++)
                expanded.AsSpan(x * pairsPerColumn * 8 + t * 4, 4).Fill(Weights[x * KernelSize + t]);
            return expanded;
        }

        public Coefficients ShiftedBy(int offset) => new()
        {
            KernelSize = KernelSize,
            Start = Start.Select(s => s + offset).ToArray(),
            Count = Count,
            Weights = Weights,
        };

        public static Coefficients For(int inSize, int outSize, Interpolation filter)
        {
            double filterSupport = filter == Interpolation.Bicubic ? 2.0 : 1.0;
            double scale = (double)inSize / outSize;
            // Shrinking widens the filter so that it covers every source pixel (antialiasing).
            double filterScale = Math.Max(scale, 1.0);
            double support = filterSupport * filterScale;
            int kernelSize = (int)Math.Ceiling(support) * 2 + 1;
            var start = new int[outSize];
            var count = new int[outSize];
            var weights = new int[outSize * kernelSize];
            double[] tapBuffer = new double[kernelSize];
            for (int xx = 0; xx < outSize; xx++)
            {
                double center = (xx + 0.5) * scale;
                double inverse = 1.0 / filterScale;
                int xmin = Math.Max((int)(center - support + 0.5), 0);
                int xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
                double total = 0;
                for (int x = 0; x < xmax; x++)
                {
                    double w = Filter(filter, (x + xmin - center + 0.5) * inverse);
                    tapBuffer[x] = w;
                    total += w;
                }
                for (int x = 0; x < xmax; x++)
                {
                    double w = total != 0.0 ? tapBuffer[x] / total : tapBuffer[x];
                    weights[xx * kernelSize + x] = w < 0
                        ? (int)(-0.5 + w * (1 << PrecisionBits))
                        : (int)(0.5 + w * (1 << PrecisionBits));
                }
                start[xx] = xmin;
                count[xx] = Math.Max(xmax, 0);
            }
            return new Coefficients { KernelSize = kernelSize, Start = start, Count = count, Weights = weights };
        }

        private static double Filter(Interpolation filter, double x)
        {
            x = Math.Abs(x);
            if (filter == Interpolation.Bilinear) return x < 1.0 ? 1.0 - x : 0.0;
            // Keys' cubic convolution with a = -0.5, PIL's BICUBIC.
            const double a = -0.5;
            if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
            if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
            return 0.0;
        }
    }
}
