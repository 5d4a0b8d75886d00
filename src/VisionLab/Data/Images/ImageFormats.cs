namespace VisionLab.Data.Images;

/// <summary>
/// What an encoded image is, judged by its first bytes (its signature), never by a file name or a
/// declared content type: a service that takes uploads must not trust either.
/// </summary>
public static class ImageFormats
{
    private static readonly (string Format, byte[] Signature, int Offset)[] Signatures =
    [
        ("jpeg", [0xFF, 0xD8, 0xFF], 0),
        ("png", [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], 0),
        ("gif", "GIF87a"u8.ToArray(), 0),
        ("gif", "GIF89a"u8.ToArray(), 0),
        ("bmp", "BM"u8.ToArray(), 0),
        ("webp", "WEBP"u8.ToArray(), 8), // after "RIFF" and the chunk size
    ];

    /// <summary>The formats <see cref="ImageDecoder"/> reads.</summary>
    public static IReadOnlyList<string> Supported { get; } = Signatures.Select(s => s.Format).Distinct().ToArray();

    /// <summary>"jpeg", "png", "gif", "bmp" or "webp" when the bytes start like one; null otherwise.</summary>
    public static string? Sniff(ReadOnlySpan<byte> encoded)
    {
        foreach (var (format, signature, offset) in Signatures)
        {
            if (encoded.Length < offset + signature.Length) continue;
            if (format == "webp" && !encoded.StartsWith("RIFF"u8)) continue;
            if (encoded.Slice(offset, signature.Length).SequenceEqual(signature)) return format;
        }
        return null;
    }
}
