namespace VisionLab.Tracking.TensorBoard;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of TFRecord framing, and the "masked" form the event files
/// store: a CRC computed over data that itself holds CRCs is easily fooled, so TFRecord rotates it
/// and adds a constant before writing it down.
/// </summary>
public static class Crc32C
{
    // The Castagnoli polynomial 0x1EDC6F41 with its bits reversed, for the least-significant-bit-first
    // (reflected) form every CRC-32C implementation uses.
    private const uint ReflectedPolynomial = 0x82F63B78;
    private const uint MaskDelta = 0xA282EAD8;

    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = uint.MaxValue;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    /// <summary>TFRecord's masked CRC: the CRC rotated right by 15 bits plus a constant.</summary>
    public static uint Masked(ReadOnlySpan<byte> data)
    {
        uint crc = Compute(data);
        return ((crc >> 15) | (crc << 17)) + MaskDelta;
    }

    /// <summary>The CRC of every byte value, so the loop above handles eight bits per step.</summary>
    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int bit = 0; bit < 8; bit++) c = (c & 1) != 0 ? (c >> 1) ^ ReflectedPolynomial : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
