using SkiaSharp;
using VisionLab.Tests.Support;
using VisionLab.Tracking.TensorBoard;
using static VisionLab.Tests.Tracking.TensorBoard.EventFileReader;

namespace VisionLab.Tests.Tracking.TensorBoard;

public class EventFileTests
{
    [Fact]
    public void Both_crc32c_implementations_give_the_published_check_value()
    {
        // The check value of CRC-32C (RFC 3720, appendix B.4; the CRC catalogue's "check").
        Assert.Equal(0xE3069283u, EventFileReader.Crc32C("123456789"u8));
        Assert.Equal(0xE3069283u, VisionLab.Tracking.TensorBoard.Crc32C.Compute("123456789"u8));
        var bytes = new byte[1000];
        new Random(3).NextBytes(bytes);
        Assert.Equal(EventFileReader.Crc32C(bytes), VisionLab.Tracking.TensorBoard.Crc32C.Compute(bytes));
        Assert.Equal(MaskedCrc(bytes), VisionLab.Tracking.TensorBoard.Crc32C.Masked(bytes));
    }

    [Fact]
    public void Every_scalar_histogram_and_image_written_is_read_back()
    {
        using var dir = new TempFolder();
        var scalars = new (string Tag, long Step, double Value)[]
        {
            ("loss/train", 1, 2.302585), ("loss/train", 2, 0.75), ("accuracy/test", 1, 0.1), ("accuracy/test", 2, 0.875),
            ("learning_rate", 7, 1e-4), ("memory/resident_mb", 3_000_000_000, 512.5), ("negative", 0, -3.25),
        };
        var random = new Random(11);
        // Normal values around zero, exact zeros, tiny and huge ones and the largest float: every
        // finite value must land in some bucket.
        float[] weights = [.. Enumerable.Range(0, 5000).Select(_ => (float)(random.NextDouble() * 2 - 1) * 0.3f),
            0, 0, 0, 1e-30f, -1e-30f, 2e25f, -7e21f, float.MaxValue, float.MinValue, 1e-12f, -1e-12f];
        byte[] png = Png(37, 23);
        string path;
        using (var writer = new EventFileWriter(dir.File("tb")))
        {
            foreach (var (tag, step, value) in scalars) writer.WriteScalar(tag, step, value);
            writer.WriteHistogram("weights/conv1.weight", 4, Histogram.Of(weights)!);
            writer.WriteImage("predictions", 4, png);
            path = writer.FilePath;
        }

        Assert.Matches(@"^events\.out\.tfevents\.\d{10}\.", Path.GetFileName(path));
        var events = ReadEvents(path);
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.All(events, e => Assert.InRange(e.WallTime, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1));
        Assert.Equal(1 + scalars.Length + 2, events.Count);

        foreach (var (tag, step, value) in scalars)
        {
            var found = Assert.Single(Values(events, tag, step));
            Assert.Equal((float)value, found.SimpleValue);
        }

        var histogram = Assert.Single(Values(events, "weights/conv1.weight", 4)).Histogram!;
        AssertHistogramOf(weights, histogram);

        var image = Assert.Single(Values(events, "predictions", 4)).Image!;
        Assert.Equal(png, image.Png);
        Assert.Equal((37, 23), (image.Width, image.Height));
        using var decoded = SKBitmap.Decode(image.Png);
        Assert.Equal((37, 23), (decoded.Width, decoded.Height));
    }

    [Fact]
    public void A_flipped_byte_fails_the_readers_crc_check()
    {
        using var dir = new TempFolder();
        string path;
        using (var writer = new EventFileWriter(dir.Path))
        {
            writer.WriteScalar("loss/train", 1, 0.5);
            path = writer.FilePath;
        }
        var good = File.ReadAllBytes(path);
        Assert.Equal(2, ReadRecords(good).Count);
        // In the first record: a length byte, a data byte, a byte of the data's CRC.
        int dataLength = (int)BitConverter.ToUInt64(good, 0);
        foreach (int at in new[] { 0, 12 + dataLength / 2, 12 + dataLength + 1 })
        {
            var bad = (byte[])good.Clone();
            bad[at] ^= 0x10;
            var e = Assert.Throws<InvalidDataException>(() => ReadRecords(bad));
            Assert.Contains("CRC does not match", e.Message);
        }
    }

    [Fact]
    public void A_histogram_counts_only_finite_values()
    {
        var histogram = Histogram.Of([float.NaN, float.PositiveInfinity, 1f, 2f, float.NegativeInfinity])!;
        Assert.Equal(2, histogram.Count);
        Assert.Equal((1.0, 2.0, 3.0, 5.0), (histogram.Min, histogram.Max, histogram.Sum, histogram.SumOfSquares));
        Assert.Equal(2, histogram.BucketCounts.Sum());
        Assert.Null(Histogram.Of([float.NaN]));
        Assert.Null(Histogram.Of([]));
    }

    [Fact]
    public void Default_bucket_limits_are_tensorflows()
    {
        var limits = Histogram.DefaultLimits;
        int zero = limits.Count / 2;
        Assert.Equal(0.0, limits[zero]);
        Assert.Equal(1e-12, limits[zero + 1]);
        Assert.Equal((-double.MaxValue, double.MaxValue), (limits[0], limits[^1]));
        for (int i = 1; i < limits.Count; i++) Assert.Equal(-limits[i], limits[limits.Count - 1 - i]);
        for (int i = zero + 2; i < limits.Count - 1; i++) Assert.Equal(limits[i - 1] * 1.1, limits[i]);
        Assert.True(limits[^2] < 1e20 && limits[^2] * 1.1 >= 1e20, $"the last finite limit {limits[^2]} is not the last below 1e20");
    }

    internal static IEnumerable<SummaryValue> Values(IEnumerable<Event> events, string tag, long step) =>
        events.Where(e => e.Step == step).SelectMany(e => e.Values).Where(v => v.Tag == tag);

    /// <summary>The histogram's figures match <paramref name="values"/>, and each bucket holds exactly
    /// the values between the limit before it (included) and its own (excluded), counted here.</summary>
    internal static void AssertHistogramOf(float[] values, HistogramValue histogram)
    {
        Assert.Equal(values.Length, histogram.Num);
        Assert.Equal(values.Length, histogram.Bucket.Sum());
        Assert.Equal(values.Min(), histogram.Min);
        Assert.Equal(values.Max(), histogram.Max);
        // Summed in double in the values' order, as the writer does: the same additions, the same result.
        double sum = 0, squares = 0;
        foreach (float v in values)
        {
            sum += v;
            squares += (double)v * v;
        }
        Assert.Equal(sum, histogram.Sum);
        Assert.Equal(squares, histogram.SumSquares);

        Assert.Equal(histogram.BucketLimit.Length, histogram.Bucket.Length);
        for (int i = 1; i < histogram.BucketLimit.Length; i++)
        {
            Assert.True(histogram.BucketLimit[i - 1] < histogram.BucketLimit[i], $"bucket limits not ascending at {i}");
            double low = histogram.BucketLimit[i - 1], high = histogram.BucketLimit[i];
            int inside = values.Count(v => v >= low && (v < high || high == double.MaxValue));
            Assert.True(inside == histogram.Bucket[i], $"bucket [{low}, {high}) holds {inside} values, the histogram says {histogram.Bucket[i]}");
        }
        // The leading empty bucket ends where the values start.
        Assert.Equal(0, histogram.Bucket[0]);
        Assert.True(histogram.BucketLimit[0] <= histogram.Min);
    }

    private static byte[] Png(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(SKColors.CornflowerBlue);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
