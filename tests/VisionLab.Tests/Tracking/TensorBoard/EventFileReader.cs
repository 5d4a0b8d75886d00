using System.Buffers.Binary;
using System.Text;

namespace VisionLab.Tests.Tracking.TensorBoard;

/// <summary>
/// A reader of TensorBoard event files written for the tests from the format's description alone,
/// sharing no code with VisionLab's writer: TFRecord framing with both masked CRC-32C checks, and
/// a general protocol-buffer decoder that the Event and Summary messages are read with.
/// </summary>
public static class EventFileReader
{
    public sealed record HistogramValue(double Min, double Max, double Num, double Sum, double SumSquares,
        double[] BucketLimit, double[] Bucket);

    public sealed record ImageValue(int Height, int Width, int Colorspace, byte[] Png);

    public sealed record SummaryValue(string Tag, float? SimpleValue, ImageValue? Image, HistogramValue? Histogram);

    public sealed record Event(double WallTime, long Step, string? FileVersion, IReadOnlyList<SummaryValue> Values);

    /// <summary>The events of a file, which may still be open for writing.</summary>
    public static List<Event> ReadEvents(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        return [.. ReadRecords(bytes.ToArray()).Select(DecodeEvent)];
    }

    /// <summary>The records' data, after checking both CRCs of each; a damaged or torn file throws
    /// <see cref="InvalidDataException"/> saying which record and where.</summary>
    public static List<byte[]> ReadRecords(byte[] file)
    {
        var records = new List<byte[]>();
        int at = 0;
        while (at < file.Length)
        {
            if (file.Length - at < 12) throw new InvalidDataException($"record {records.Count} at byte {at}: torn header");
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(at));
            uint lengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 8));
            if (lengthCrc != MaskedCrc(file.AsSpan(at, 8)))
                throw new InvalidDataException($"record {records.Count} at byte {at}: the length's CRC does not match");
            if (length > (ulong)(file.Length - at - 16))
                throw new InvalidDataException($"record {records.Count} at byte {at}: {length} bytes of data do not fit in the file");
            var data = file.AsSpan(at + 12, (int)length);
            uint dataCrc = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 12 + (int)length));
            if (dataCrc != MaskedCrc(data))
                throw new InvalidDataException($"record {records.Count} at byte {at}: the data's CRC does not match");
            records.Add(data.ToArray());
            at += 16 + (int)length;
        }
        return records;
    }

    /// <summary>CRC-32C computed bit by bit (no table), the slow and obvious way.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (uint)-(int)(crc & 1));
        }
        return crc ^ 0xFFFFFFFF;
    }

    public static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32C(data);
        return unchecked(((crc >> 15) | (crc << 17)) + 0xA282EAD8u);
    }

    // tensorflow/core/util/event.proto: Event { double wall_time = 1; int64 step = 2;
    // string file_version = 3; Summary summary = 5; }
    private static Event DecodeEvent(byte[] data)
    {
        double wallTime = 0;
        long step = 0;
        string? version = null;
        var values = new List<SummaryValue>();
        foreach (var f in Fields(data))
        {
            switch (f.Number, f.WireType)
            {
                case (1, 1): wallTime = BitConverter.UInt64BitsToDouble(f.Scalar); break;
                case (2, 0): step = (long)f.Scalar; break;
                case (3, 2): version = Encoding.UTF8.GetString(f.Bytes); break;
                case (5, 2):
                    // Summary { repeated Value value = 1; }
                    values.AddRange(Fields(f.Bytes).Where(v => v is { Number: 1, WireType: 2 }).Select(v => DecodeValue(v.Bytes)));
                    break;
            }
        }
        return new Event(wallTime, step, version, values);
    }

    // Summary.Value { string tag = 1; float simple_value = 2; Image image = 4; HistogramProto histo = 5; }
    private static SummaryValue DecodeValue(byte[] data)
    {
        string tag = "";
        float? simple = null;
        ImageValue? image = null;
        HistogramValue? histogram = null;
        foreach (var f in Fields(data))
        {
            switch (f.Number, f.WireType)
            {
                case (1, 2): tag = Encoding.UTF8.GetString(f.Bytes); break;
                case (2, 5): simple = BitConverter.UInt32BitsToSingle((uint)f.Scalar); break;
                case (4, 2): image = DecodeImage(f.Bytes); break;
                case (5, 2): histogram = DecodeHistogram(f.Bytes); break;
            }
        }
        return new SummaryValue(tag, simple, image, histogram);
    }

    // Summary.Image { int32 height = 1; int32 width = 2; int32 colorspace = 3; bytes encoded_image_string = 4; }
    private static ImageValue DecodeImage(byte[] data)
    {
        int height = 0, width = 0, colorspace = 0;
        byte[] png = [];
        foreach (var f in Fields(data))
        {
            switch (f.Number, f.WireType)
            {
                case (1, 0): height = (int)f.Scalar; break;
                case (2, 0): width = (int)f.Scalar; break;
                case (3, 0): colorspace = (int)f.Scalar; break;
                case (4, 2): png = f.Bytes; break;
            }
        }
        return new ImageValue(height, width, colorspace, png);
    }

    // HistogramProto { double min = 1; max = 2; num = 3; sum = 4; sum_squares = 5;
    // repeated double bucket_limit = 6 [packed]; repeated double bucket = 7 [packed]; }
    private static HistogramValue DecodeHistogram(byte[] data)
    {
        var scalars = new double[6];
        var limits = new List<double>();
        var buckets = new List<double>();
        foreach (var f in Fields(data))
        {
            if (f.Number is >= 1 and <= 5 && f.WireType == 1) scalars[f.Number] = BitConverter.UInt64BitsToDouble(f.Scalar);
            else if (f.Number is 6 or 7)
            {
                var into = f.Number == 6 ? limits : buckets;
                // A reader must take repeated scalars packed or not.
                if (f.WireType == 1) into.Add(BitConverter.UInt64BitsToDouble(f.Scalar));
                else if (f.WireType == 2)
                {
                    if (f.Bytes.Length % 8 != 0) throw new InvalidDataException($"packed doubles of {f.Bytes.Length} bytes");
                    for (int i = 0; i < f.Bytes.Length; i += 8) into.Add(BinaryPrimitives.ReadDoubleLittleEndian(f.Bytes.AsSpan(i)));
                }
            }
        }
        return new HistogramValue(scalars[1], scalars[2], scalars[3], scalars[4], scalars[5], [.. limits], [.. buckets]);
    }

    private readonly record struct Field(int Number, int WireType, ulong Scalar, byte[] Bytes);

    /// <summary>The fields of one message, in order: varints and fixed-width numbers as their raw
    /// 64 bits, length-delimited ones as their bytes.</summary>
    private static List<Field> Fields(byte[] message)
    {
        var fields = new List<Field>();
        int at = 0;
        while (at < message.Length)
        {
            ulong key = Varint(message, ref at);
            int number = (int)(key >> 3), wireType = (int)(key & 7);
            if (number == 0) throw new InvalidDataException($"field number 0 at byte {at}");
            switch (wireType)
            {
                case 0:
                    fields.Add(new Field(number, 0, Varint(message, ref at), []));
                    break;
                case 1:
                    Need(message, at, 8);
                    fields.Add(new Field(number, 1, BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(at)), []));
                    at += 8;
                    break;
                case 2:
                    int length = checked((int)Varint(message, ref at));
                    Need(message, at, length);
                    fields.Add(new Field(number, 2, 0, message[at..(at + length)]));
                    at += length;
                    break;
                case 5:
                    Need(message, at, 4);
                    fields.Add(new Field(number, 5, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(at)), []));
                    at += 4;
                    break;
                default:
                    throw new InvalidDataException($"wire type {wireType} of field {number} is not one an event file uses");
            }
        }
        return fields;
    }

    private static ulong Varint(byte[] message, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            Need(message, at, 1);
            byte b = message[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new InvalidDataException("a varint longer than ten bytes");
    }

    private static void Need(byte[] message, int at, int count)
    {
        if (count < 0 || at + count > message.Length) throw new InvalidDataException($"message ends inside a field at byte {at}");
    }
}
