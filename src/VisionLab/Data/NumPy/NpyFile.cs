using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using VisionLab.Runs;
using static TorchSharp.torch;

namespace VisionLab.Data.NumPy;

/// <summary>
/// NumPy's <c>.npy</c> format (numpy.lib.format): the magic <c>\x93NUMPY</c>, a version, a Python
/// dict literal giving dtype, order and shape, then the raw elements. The lingua franca for
/// arrays between tools; VisionLab reads little-endian float32/float64/int64/uint8 arrays in C order
/// and writes float32.
/// </summary>
public static partial class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private static readonly Dictionary<string, (ScalarType Type, int Size)> Types = new()
    {
        ["<f4"] = (ScalarType.Float32, 4), ["<f8"] = (ScalarType.Float64, 8),
        ["<i8"] = (ScalarType.Int64, 8), ["<i4"] = (ScalarType.Int32, 4), ["|u1"] = (ScalarType.Byte, 1),
    };

    public static Tensor Read(string path)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found");
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw new DataFormatException(path, "not a NumPy .npy file (no \\x93NUMPY header)");
        int major = bytes[6];
        int headerLength, headerStart;
        if (major == 1) { headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)); headerStart = 10; }
        else if (major is 2 or 3 && bytes.Length >= 12) { headerLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)); headerStart = 12; }
        else throw new DataFormatException(path, $".npy format version {major} is not supported");
        if (headerStart + headerLength > bytes.Length)
            throw new DataFormatException(path, "truncated: the header runs past the end of the file");
        string header = Encoding.Latin1.GetString(bytes, headerStart, headerLength);

        string descr = Field(DescrPattern(), header, path, "descr");
        if (!Types.TryGetValue(descr, out var type))
            throw new DataFormatException(path, $"dtype '{descr}' is not supported (use float32 '<f4', float64, int32, int64 or uint8)");
        if (Field(FortranPattern(), header, path, "fortran_order") != "False")
            throw new DataFormatException(path, "Fortran-order arrays are not supported; save with numpy.ascontiguousarray");
        long[] shape = Field(ShapePattern(), header, path, "shape")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.Parse(d, CultureInfo.InvariantCulture)).ToArray();

        long elements = shape.Aggregate(1L, (a, b) => a * b);
        int dataStart = headerStart + headerLength;
        long expected = elements * type.Size;
        if (bytes.Length - dataStart != expected)
            throw new DataFormatException(path,
                $"shape ({string.Join(", ", shape)}) of {descr} needs {expected:N0} bytes of data, the file holds {bytes.Length - dataStart:N0}");
        var tensor = empty(shape, type.Type);
        bytes.AsSpan(dataStart).CopyTo(tensor.bytes);
        return tensor;
    }

    /// <summary>Writes a float32 array (version 1.0 header, padded to 64 bytes as NumPy does), atomically.</summary>
    public static void Write(string path, Tensor tensor)
    {
        using var data = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous();
        string shape = data.dim() switch
        {
            0 => "()",
            1 => $"({data.shape[0]},)",
            _ => $"({string.Join(", ", data.shape)})",
        };
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}";
        int unpadded = Magic.Length + 4 + dict.Length + 1;
        string header = dict + new string(' ', (64 - unpadded % 64) % 64) + "\n";
        AtomicFile.Write(path, stream =>
        {
            stream.Write(Magic);
            stream.Write([1, 0]);
            Span<byte> length = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
            stream.Write(length);
            stream.Write(Encoding.Latin1.GetBytes(header));
            stream.Write(data.bytes);
        });
    }

    private static string Field(Regex pattern, string header, string path, string name)
    {
        var match = pattern.Match(header);
        if (!match.Success) throw new DataFormatException(path, $"the .npy header has no readable '{name}'");
        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
