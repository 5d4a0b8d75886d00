using System.Buffers.Binary;
using System.IO.Compression;

namespace VisionLab.Tests.Support;

/// <summary>Writes IDX files (optionally gzip-compressed) for tests, good or deliberately broken.</summary>
public static class IdxWriter
{
    public static byte[] Encode(int[] shape, byte[] data, byte type = 0x08)
    {
        var bytes = new byte[4 + 4 * shape.Length + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)shape.Length;
        for (int d = 0; d < shape.Length; d++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), shape[d]);
        data.CopyTo(bytes, 4 + 4 * shape.Length);
        return bytes;
    }

    public static byte[] Gzip(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest)) gz.Write(raw);
        return output.ToArray();
    }

    /// <summary>A small IDX data folder: <paramref name="count"/> images of h×w whose label is
    /// how bright they are, so a model can learn it.</summary>
    public static void WriteDataFolder(string folder, int count, int height = 28, int width = 28, int classes = 3, bool gzip = true)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(7);
        foreach (string split in new[] { "train", "t10k" })
        {
            var labels = new byte[count];
            var images = new byte[count * height * width];
            for (int i = 0; i < count; i++)
            {
                labels[i] = (byte)random.Next(classes);
                for (int p = 0; p < height * width; p++)
                    images[i * height * width + p] = (byte)Math.Clamp(labels[i] * 100 + random.Next(40), 0, 255);
            }
            Write(Path.Combine(folder, $"{split}-images-idx3-ubyte"), Encode([count, height, width], images), gzip);
            Write(Path.Combine(folder, $"{split}-labels-idx1-ubyte"), Encode([count], labels), gzip);
        }
    }

    private static void Write(string path, byte[] raw, bool gzip)
    {
        if (gzip) File.WriteAllBytes(path + ".gz", Gzip(raw));
        else File.WriteAllBytes(path, raw);
    }
}
