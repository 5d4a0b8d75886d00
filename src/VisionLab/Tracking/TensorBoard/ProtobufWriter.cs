using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace VisionLab.Tracking.TensorBoard;

/// <summary>
/// The few parts of the protocol-buffer wire format an event file needs — varints, 64- and 32-bit
/// fixed-width numbers, length-delimited strings, bytes and nested messages, packed doubles —
/// written field by field into a growing buffer. A message is built inside-out: the nested one
/// first, then handed to its parent with <see cref="Message"/>.
/// </summary>
public sealed class ProtobufWriter
{
    // The wire types of https://protobuf.dev/programming-guides/encoding/.
    private const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    private readonly ArrayBufferWriter<byte> buffer = new();

    public ReadOnlySpan<byte> WrittenSpan => buffer.WrittenSpan;

    public byte[] ToArray() => buffer.WrittenSpan.ToArray();

    /// <summary>An <c>int32</c> or <c>int64</c> field (a negative value takes ten bytes, as protobuf has it).</summary>
    public ProtobufWriter Int64(int field, long value)
    {
        Tag(field, Varint);
        WriteVarint((ulong)value);
        return this;
    }

    public ProtobufWriter Double(int field, double value)
    {
        Tag(field, Fixed64);
        BinaryPrimitives.WriteDoubleLittleEndian(buffer.GetSpan(8), value);
        buffer.Advance(8);
        return this;
    }

    public ProtobufWriter Float(int field, float value)
    {
        Tag(field, Fixed32);
        BinaryPrimitives.WriteSingleLittleEndian(buffer.GetSpan(4), value);
        buffer.Advance(4);
        return this;
    }

    public ProtobufWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtobufWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, LengthDelimited);
        WriteVarint((ulong)value.Length);
        buffer.Write(value);
        return this;
    }

    public ProtobufWriter Message(int field, ProtobufWriter message) => Bytes(field, message.WrittenSpan);

    /// <summary>A <c>repeated double</c> field with <c>[packed = true]</c>: one length-delimited run of
    /// little-endian doubles.</summary>
    public ProtobufWriter PackedDoubles(int field, ReadOnlySpan<double> values)
    {
        Tag(field, LengthDelimited);
        WriteVarint((ulong)values.Length * 8);
        var span = buffer.GetSpan(values.Length * 8);
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(span[(i * 8)..], values[i]);
        buffer.Advance(values.Length * 8);
        return this;
    }

    private void Tag(int field, int wireType)
    {
        if (field < 1) throw new ArgumentOutOfRangeException(nameof(field), field, "protobuf field numbers start at 1");
        WriteVarint(((ulong)field << 3) | (uint)wireType);
    }

    /// <summary>Seven bits a byte, least significant first, the top bit saying another byte follows.</summary>
    private void WriteVarint(ulong value)
    {
        var span = buffer.GetSpan(10);
        int n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[n++] = (byte)value;
        buffer.Advance(n);
    }
}
