namespace VisionLab.Tracking.TensorBoard;

/// <summary>
/// A histogram of a tensor's values as TensorBoard draws it (TensorFlow's <c>HistogramProto</c>):
/// count, extremes, sum and sum of squares, and buckets given by their upper limits — bucket
/// <c>i</c> holds the values from limit <c>i−1</c> up to (not including) limit <c>i</c>.
/// </summary>
/// <param name="BucketLimits">Each bucket's upper limit, ascending.</param>
/// <param name="BucketCounts">How many values fall in each bucket, parallel to <paramref name="BucketLimits"/>.</param>
public sealed record Histogram(double Min, double Max, double Count, double Sum, double SumOfSquares,
    double[] BucketLimits, double[] BucketCounts)
{
    /// <summary>
    /// TensorFlow's default bucket limits, also PyTorch's <c>bins="tensorflow"</c>: 0, and on either
    /// side limits growing by 10% from 1e-12 to 1e20 — fine steps near zero, where weights live, at
    /// every scale — closed by ±<see cref="double.MaxValue"/> so every finite value has a bucket.
    /// </summary>
    public static IReadOnlyList<double> DefaultLimits => Limits;

    private static readonly double[] Limits = BuildDefaultLimits();

    /// <summary>
    /// The histogram of the finite values among <paramref name="values"/> (a diverged weight's NaN or
    /// infinity has no bucket; the loss curve already shows it); null when there are none. Like
    /// PyTorch's <c>make_histogram</c> it keeps the buckets from the first non-empty one to the last,
    /// preceded by one empty bucket whose limit is where the first non-empty one starts, so that the
    /// 1,551-bucket axis shrinks to the span the values cover while each bucket keeps its true width.
    /// </summary>
    public static Histogram? Of(ReadOnlySpan<float> values)
    {
        var counts = new double[Limits.Length];
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0, sumOfSquares = 0;
        long finite = 0;
        foreach (float f in values)
        {
            if (!float.IsFinite(f)) continue;
            double v = f;
            finite++;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            sum += v;
            sumOfSquares += v * v;
            counts[BucketOf(v)]++;
        }
        if (finite == 0) return null;

        // Bucket 0 ends at -double.MaxValue, below every finite value: first >= 1, so there is always
        // an empty bucket just before it to carry its lower edge.
        int first = Array.FindIndex(counts, c => c > 0), last = Array.FindLastIndex(counts, c => c > 0);
        return new Histogram(min, max, finite, sum, sumOfSquares, Limits[(first - 1)..(last + 1)], counts[(first - 1)..(last + 1)]);
    }

    /// <summary>The first bucket whose limit is above <paramref name="value"/> (TensorFlow's
    /// <c>upper_bound</c>); the last bucket also takes <see cref="double.MaxValue"/> itself.</summary>
    private static int BucketOf(double value)
    {
        int low = 0, high = Limits.Length - 1;
        while (low < high)
        {
            int middle = (low + high) >>> 1;
            if (Limits[middle] > value) high = middle;
            else low = middle + 1;
        }
        return low;
    }

    private static double[] BuildDefaultLimits()
    {
        // Repeated multiplication, not powers, so the limits are bit for bit TensorFlow's and PyTorch's.
        var positive = new List<double>();
        for (double v = 1e-12; v < 1e20; v *= 1.1) positive.Add(v);
        positive.Add(double.MaxValue);
        return [.. positive.Select(v => -v).Reverse(), 0.0, .. positive];
    }
}
