using System.Buffers.Binary;
using System.IO.Compression;

namespace VisionLab.Data.Idx;

/// <summary>
/// An unsigned-byte array read from an IDX file, the format of MNIST and Fashion-MNIST
/// (LeCun et al., http://yann.lecun.com/exdb/mnist/): two zero bytes, a type code, the rank, one
/// big-endian 32-bit size per dimension, then the elements in row-major order.
/// </summary>
public sealed class IdxFile
{
    private const byte UnsignedByteType = 0x08;

    private static readonly Dictionary<byte, string> TypeNames = new()
    {
        [0x08] = "unsigned byte", [0x09] = "signed byte", [0x0B] = "int16",
        [0x0C] = "int32", [0x0D] = "float32", [0x0E] = "float64",
    };

    private IdxFile(int[] shape, byte[] data)
    {
        Shape = shape;
        Data = data;
    }

    /// <summary>Sizes of the dimensions, outermost first.</summary>
    public int[] Shape { get; }

    /// <summary>The elements, row-major.</summary>
    public byte[] Data { get; }

    /// <summary>
    /// Reads a raw or gzip-compressed (by content, not by name) IDX file of unsigned bytes and
    /// checks that the header is consistent with the data that follows.
    /// </summary>
    /// <exception cref="DataFormatException">The file is missing, truncated, or malformed.</exception>
    public static IdxFile Read(string path)
    {
        if (!File.Exists(path))
            throw new DataFormatException(path, "file not found");
        try
        {
            using var file = File.OpenRead(path);
            using var content = IsGzip(file) ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
            return Parse(content, path);
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(path, $"corrupt gzip stream ({e.Message.TrimEnd('.')})", e);
        }
        catch (EndOfStreamException e)
        {
            throw new DataFormatException(path, "truncated: the file ends before the data its header declares", e);
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw new DataFormatException(path, $"cannot be read ({e.Message.TrimEnd('.')})", e);
        }
    }

    private static bool IsGzip(FileStream file)
    {
        Span<byte> magic = stackalloc byte[2];
        int read = file.Read(magic);
        file.Position = 0;
        return read == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
    }

    private static IdxFile Parse(Stream content, string path)
    {
        Span<byte> header = stackalloc byte[4];
        content.ReadExactly(header);
        if (header[0] != 0 || header[1] != 0)
            throw new DataFormatException(path,
                $"not an IDX file: magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(header):X8} does not start with two zero bytes");
        if (header[2] != UnsignedByteType)
        {
            string type = TypeNames.TryGetValue(header[2], out var name) ? name : "unknown";
            throw new DataFormatException(path,
                $"IDX element type 0x{header[2]:X2} ({type}) is not supported; image and label files hold unsigned bytes (0x08)");
        }
        int rank = header[3];
        if (rank is < 1 or > 4)
            throw new DataFormatException(path, $"IDX rank {rank} is not between 1 and 4");

        var shape = new int[rank];
        Span<byte> size = stackalloc byte[4];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            content.ReadExactly(size);
            uint n = BinaryPrimitives.ReadUInt32BigEndian(size);
            if (n == 0 || n > int.MaxValue)
                throw new DataFormatException(path, $"dimension {d} has size {n}");
            shape[d] = (int)n;
            count *= n;
            if (count > Array.MaxLength)
                throw new DataFormatException(path, $"declares {string.Join('x', shape.Take(d + 1))} elements, more than fit in memory");
        }

        var data = new byte[count];
        int got = content.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (got < data.Length)
            throw new DataFormatException(path,
                $"truncated: header declares {string.Join('x', shape)} = {count:N0} bytes of data but only {got:N0} follow");
        if (content.ReadByte() != -1)
            throw new DataFormatException(path,
                $"has data beyond the {string.Join('x', shape)} elements its header declares");
        return new IdxFile(shape, data);
    }
}
