using System.Buffers.Binary;
using System.Net;

namespace VisionLab.Tracking.TensorBoard;

/// <summary>
/// Writes a TensorBoard event file, <c>events.out.tfevents.&lt;unix seconds&gt;.&lt;host&gt;.&lt;pid&gt;.&lt;n&gt;</c>
/// (PyTorch's <c>SummaryWriter</c> naming), in a folder TensorBoard is pointed at: a TFRecord
/// stream of <c>tensorflow.Event</c> protocol buffers, the first one naming the format version, each
/// later one carrying one scalar, histogram or image of a <c>tensorflow.Summary</c>.
/// <para>
/// An event file is appended to as training goes, not replaced, so it cannot be written atomically
/// like the run's other files. It need not be: every record carries checksums and TensorBoard stops
/// at a torn last record, so a crash costs at most the records since the last <see cref="Flush"/>.
/// </para>
/// </summary>
public sealed class EventFileWriter : IDisposable
{
    private const string FileVersion = "brain.Event:2";

    // Field numbers of tensorflow/core/util/event.proto and tensorflow/core/framework/summary.proto.
    private const int EventWallTime = 1, EventStep = 2, EventFileVersion = 3, EventSummary = 5;
    private const int SummaryValue = 1;
    private const int ValueTag = 1, ValueSimpleValue = 2, ValueImage = 4, ValueHisto = 5;
    private const int ImageHeight = 1, ImageWidth = 2, ImageColorspace = 3, ImageEncoded = 4;
    private const int HistoMin = 1, HistoMax = 2, HistoNum = 3, HistoSum = 4, HistoSumSquares = 5,
        HistoBucketLimit = 6, HistoBucket = 7;

    private static int filesCreated;
    private readonly FileStream stream;

    /// <summary>Creates the folder if need be and a new event file in it.</summary>
    public EventFileWriter(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
            // The process id and a counter keep two writers started in the same second apart.
            string name = $"events.out.tfevents.{DateTimeOffset.UtcNow.ToUnixTimeSeconds():D10}.{Dns.GetHostName()}." +
                          $"{Environment.ProcessId}.{Interlocked.Increment(ref filesCreated)}";
            FilePath = Path.Combine(Path.GetFullPath(folder), name);
            stream = new FileStream(FilePath, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VisionLabException($"cannot create a TensorBoard event file in {folder}: {e.Message}", e);
        }
        WriteEvent(Event(0).String(EventFileVersion, FileVersion));
        Flush();
    }

    public string FilePath { get; }

    public void WriteScalar(string tag, long step, double value) =>
        WriteSummaryValue(step, Value(tag).Float(ValueSimpleValue, (float)value));

    public void WriteHistogram(string tag, long step, Histogram histogram)
    {
        var histo = new ProtobufWriter()
            .Double(HistoMin, histogram.Min)
            .Double(HistoMax, histogram.Max)
            .Double(HistoNum, histogram.Count)
            .Double(HistoSum, histogram.Sum)
            .Double(HistoSumSquares, histogram.SumOfSquares)
            .PackedDoubles(HistoBucketLimit, histogram.BucketLimits)
            .PackedDoubles(HistoBucket, histogram.BucketCounts);
        WriteSummaryValue(step, Value(tag).Message(ValueHisto, histo));
    }

    /// <summary>An image summary; its size and colour space are read from the PNG's header.</summary>
    public void WriteImage(string tag, long step, byte[] png)
    {
        var (width, height, colorspace) = PngHeader(png, tag);
        var image = new ProtobufWriter()
            .Int64(ImageHeight, height)
            .Int64(ImageWidth, width)
            .Int64(ImageColorspace, colorspace)
            .Bytes(ImageEncoded, png);
        WriteSummaryValue(step, Value(tag).Message(ValueImage, image));
    }

    /// <summary>Hands what was written to the operating system, so TensorBoard sees it now and a crash
    /// of this process does not lose it; with <paramref name="toDisk"/>, on to the disk as well, so
    /// neither does a crash of the machine.</summary>
    public void Flush(bool toDisk = true) => stream.Flush(toDisk);

    public void Dispose() => stream.Dispose();

    private static ProtobufWriter Event(long step) =>
        new ProtobufWriter().Double(EventWallTime, (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds).Int64(EventStep, step);

    private static ProtobufWriter Value(string tag)
    {
        if (string.IsNullOrWhiteSpace(tag)) throw new VisionLabException("a TensorBoard summary needs a tag");
        return new ProtobufWriter().String(ValueTag, tag);
    }

    private void WriteSummaryValue(long step, ProtobufWriter value) =>
        WriteEvent(Event(step).Message(EventSummary, new ProtobufWriter().Message(SummaryValue, value)));

    /// <summary>One TFRecord: the length (uint64, little-endian) and its masked CRC-32C, then the
    /// data and its masked CRC-32C.</summary>
    private void WriteEvent(ProtobufWriter message)
    {
        var data = message.WrittenSpan;
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Masked(header[..8]));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Masked(data));
        stream.Write(header);
        stream.Write(data);
        stream.Write(footer);
    }

    /// <summary>Width, height and TensorFlow's colour-space code (1 grey, 2 grey+alpha, 3 RGB,
    /// 4 RGBA) from the PNG signature and the IHDR chunk that must follow it.</summary>
    private static (int Width, int Height, int Colorspace) PngHeader(byte[] png, string tag)
    {
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (png.Length < 33 || !png.AsSpan(0, 8).SequenceEqual(signature) || !png.AsSpan(12, 4).SequenceEqual("IHDR"u8))
            throw new VisionLabException($"the image for TensorBoard tag {tag} is not a PNG");
        int width = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), height = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20));
        int colorspace = png[25] switch
        {
            0 => 1, // greyscale
            4 => 2, // greyscale with alpha
            6 => 4, // RGBA
            _ => 3, // RGB, or a palette of RGB colours
        };
        return (width, height, colorspace);
    }
}
