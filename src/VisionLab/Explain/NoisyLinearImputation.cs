using VisionLab.Runtime;
using System.Numerics;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace VisionLab.Explain;

/// <summary>
/// ROAD's noisy linear imputation — Rong, Leemann, Borisov, Kasneci and Kasneci, "A Consistent and
/// Efficient Evaluation Strategy for Attribution Methods", ICML 2022. Removing pixels by painting
/// them a constant colour leaks the removal mask's shape to the model (it can read <i>where</i>
/// pixels were taken from, and so which ones the attribution ranked high), which is why
/// remove-and-retrain and deletion disagree. ROAD instead fills each removed pixel with the
/// weighted average of its eight neighbours — 1/6 for the four sharing an edge, 1/12 for the four
/// diagonal ones — plus a little Gaussian noise, so the filled region carries no more than the
/// values around it do.
/// <para>
/// With every removed pixel defined by its neighbours, the removed values solve a sparse linear
/// system: for removed pixel i, (Σ_j w_ij) x_i − Σ_{j removed} w_ij x_j = Σ_{j kept} w_ij v_j over the
/// neighbours inside the image (at the border the weights of the neighbours that exist are
/// renormalised, as in the paper's system). The matrix is symmetric and positive definite (a discrete
/// Laplacian with the kept pixels as boundary), and numbering the removed pixels row by row along the
/// shorter side makes it banded, every pixel's neighbours lying within one row of it. It is solved
/// exactly, as the paper does with a sparse direct solver, by a banded Cholesky factorisation shared
/// by the channels: about n·b² operations for n removed pixels and a band b of at most one row, a
/// few milliseconds at 64 pixels and about half a second at 224. Images are solved in parallel on the
/// threads libtorch is allowed.
/// </para>
/// </summary>
/// <param name="noise">Standard deviation of the Gaussian noise added to each imputed value, in the
/// units of the images given (ROAD uses 0.01 on normalised inputs); 0 gives the plain solution.</param>
public sealed class NoisyLinearImputation(double noise = 0.01)
{
    private const double Edge = 1 / 6.0, Diagonal = 1 / 12.0;

    /// <summary>2 GB of band per image: enough for every pixel of a 600×600 input (EfficientNet-B7's).</summary>
    private const long MaxBandEntries = 1L << 28;

    /// <summary>The neighbours' offsets (dy, dx) and weights: edges 1/6, diagonals 1/12, summing to 1.</summary>
    private static readonly (int Dy, int Dx, double Weight)[] Neighbours =
    [
        (-1, -1, Diagonal), (-1, 0, Edge), (-1, 1, Diagonal), (0, -1, Edge),
        (0, 1, Edge), (1, -1, Diagonal), (1, 0, Edge), (1, 1, Diagonal),
    ];

    public double Noise { get; } = noise >= 0 ? noise : throw new ArgumentOutOfRangeException(nameof(noise), $"noise {noise} must not be negative");

    /// <summary>
    /// <paramref name="images"/> (N×C×H×W) with the pixels where <paramref name="removed"/> (N×H×W,
    /// nonzero = removed) is set replaced by their imputed values; kept pixels are returned unchanged.
    /// An image with every pixel removed has nothing to fill from and gets 0 (the data set's mean, in
    /// a model's normalised input space), plus the noise. The result lives in the caller's dispose
    /// scope, in the images' dtype and on their device.
    /// </summary>
    public Tensor Impute(Tensor images, Tensor removed, Generator? generator = null)
    {
        if (images.dim() != 4)
            throw new VisionLabException($"imputation takes N×C×H×W images, not shape [{string.Join(", ", images.shape)}]");
        int n = (int)images.shape[0], channels = (int)images.shape[1], height = (int)images.shape[2], width = (int)images.shape[3];
        if (removed.dim() != 3 || removed.shape[0] != n || removed.shape[1] != height || removed.shape[2] != width)
            throw new VisionLabException($"the removal mask has shape [{string.Join(", ", removed.shape)}], not [{n}, {height}, {width}] as the images");

        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var values = images.detach().to(ScalarType.Float64, CPU).contiguous().data<double>().ToArray();
        var mask = removed.to(ScalarType.Bool, CPU).contiguous().data<bool>().ToArray();
        int plane = height * width;
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, get_num_threads()) }, i =>
            Fill(values.AsSpan(i * channels * plane, channels * plane), mask.AsSpan(i * plane, plane), channels, height, width));

        var filled = tensor(values, [n, channels, height, width], ScalarType.Float64);
        if (Noise > 0)
        {
            var r = tensor(mask, [n, 1, height, width]).to(ScalarType.Float64);
            filled = filled.Plus(r * randn(filled.shape, ScalarType.Float64, generator: generator).Times(Noise));
        }
        return filled.to(images.dtype, images.device).MoveToOuterDisposeScope();
    }

    /// <summary>Solves one image's system and writes the removed pixels' values into <paramref name="image"/> (C×H×W).</summary>
    private static void Fill(Span<double> image, ReadOnlySpan<bool> removed, int channels, int height, int width)
    {
        // Number the pixels along the shorter side, so the band (one line plus one) is as narrow as it can be.
        bool transposed = width > height;
        int lines = transposed ? width : height, along = transposed ? height : width, plane = height * width;
        int Pixel(int line, int position) => transposed ? position * width + line : line * width + position;

        var unknown = new int[plane];
        var pixels = new List<int>();
        for (int line = 0; line < lines; line++)
            for (int position = 0; position < along; position++)
            {
                int p = Pixel(line, position);
                unknown[p] = removed[p] ? pixels.Count : -1;
                if (removed[p]) pixels.Add(p);
            }
        int count = pixels.Count;
        if (count == 0) return;
        if (count == plane)
        {
            image.Clear();
            return;
        }

        // The band: how far back in the numbering the farthest removed neighbour of any removed pixel lies.
        int band = 0;
        foreach (int p in pixels)
            foreach (var (dy, dx, _) in Neighbours)
                if (Neighbour(p, dy, dx, height, width) is int q && unknown[q] >= 0)
                    band = Math.Max(band, unknown[p] - unknown[q]);

        // Lower triangle of the matrix in band storage: row k holds columns k − band … k at offsets 0 … band.
        int stride = band + 1;
        if ((long)count * stride > MaxBandEntries)
            throw new VisionLabException($"ROAD imputation of {count} pixels in a {height}x{width} image needs a band of {(long)count * stride} numbers, more than {MaxBandEntries}; measure at a smaller input size");
        var factor = new double[count * stride];
        var rhs = new double[count * channels];
        for (int k = 0; k < count; k++)
        {
            int p = pixels[k];
            double diagonal = 0;
            foreach (var (dy, dx, weight) in Neighbours)
            {
                if (Neighbour(p, dy, dx, height, width) is not int q) continue;
                diagonal += weight;
                if (unknown[q] < 0)
                {
                    for (int c = 0; c < channels; c++) rhs[k * channels + c] += weight * image[c * plane + q];
                }
                else if (unknown[q] < k)
                {
                    factor[(long)k * stride + band - (k - unknown[q])] = -weight;
                }
            }
            factor[(long)k * stride + band] = diagonal;
        }

        Cholesky(factor, count, band);
        Solve(factor, count, band, rhs, channels);
        for (int k = 0; k < count; k++)
            for (int c = 0; c < channels; c++)
                image[c * plane + pixels[k]] = rhs[k * channels + c];
    }

    private static int? Neighbour(int p, int dy, int dx, int height, int width)
    {
        int y = p / width + dy, x = p % width + dx;
        return y >= 0 && y < height && x >= 0 && x < width ? y * width + x : null;
    }

    /// <summary>In-place banded Cholesky, A = L·Lᵀ, row by row (L's row k, columns k − band … k, at offsets 0 … band).</summary>
    private static void Cholesky(double[] l, int count, int band)
    {
        int stride = band + 1;
        for (int k = 0; k < count; k++)
        {
            var row = l.AsSpan(k * stride, stride);
            int first = Math.Max(0, k - band);
            for (int j = first; j <= k; j++)
            {
                // L[k, j] = (A[k, j] − Σ_{i<j} L[k, i] L[j, i]) / L[j, j], over the columns both rows hold.
                int start = Math.Max(first, j - band);
                var rowJ = l.AsSpan(j * stride, stride);
                double sum = row[band - (k - j)] - Dot(row.Slice(band - (k - start), j - start), rowJ.Slice(band - (j - start), j - start));
                if (j < k)
                {
                    row[band - (k - j)] = sum / rowJ[band];
                }
                else
                {
                    // The matrix is positive definite whenever some pixel is kept; a failure here is a bug.
                    if (!(sum > 0)) throw new InvalidOperationException($"ROAD imputation: the system is not positive definite at unknown {k} ({sum})");
                    row[band] = Math.Sqrt(sum);
                }
            }
        }
    }

    /// <summary>Solves L·Lᵀ·x = b in place for <paramref name="channels"/> right-hand sides stored interleaved.</summary>
    private static void Solve(double[] l, int count, int band, double[] b, int channels)
    {
        int stride = band + 1;
        for (int k = 0; k < count; k++)
        {
            int first = Math.Max(0, k - band);
            for (int c = 0; c < channels; c++)
            {
                double sum = b[k * channels + c];
                for (int i = first; i < k; i++) sum -= l[k * stride + band - (k - i)] * b[i * channels + c];
                b[k * channels + c] = sum / l[k * stride + band];
            }
        }
        for (int k = count - 1; k >= 0; k--)
        {
            int last = Math.Min(count - 1, k + band);
            for (int c = 0; c < channels; c++)
            {
                double sum = b[k * channels + c];
                for (int i = k + 1; i <= last; i++) sum -= l[i * stride + band - (i - k)] * b[i * channels + c];
                b[k * channels + c] = sum / l[k * stride + band];
            }
        }
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<double>.Count)
        {
            var va = MemoryMarshal.Cast<double, Vector<double>>(a);
            var vb = MemoryMarshal.Cast<double, Vector<double>>(b);
            var total = Vector<double>.Zero;
            for (int v = 0; v < va.Length; v++) total += va[v] * vb[v];
            sum = Vector.Sum(total);
            i = va.Length * Vector<double>.Count;
        }
        for (; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }
}
