using System.Buffers;

namespace VisionLab.Data.Images;

/// <summary>
/// An 8-bit image held in managed memory: 1 channel (grey, PIL's "L") or 3 (PIL's "RGB"), pixels
/// row-major and interleaved (H×W×C), rows packed without padding. This is what decoding produces
/// and what every image transform reads and writes.
/// <para>
/// The pixel buffer is rented from <see cref="ArrayPool{T}"/> because a training loader makes and
/// drops several full-size images per sample; renting keeps those large arrays out of the
/// garbage collector's large-object heap. Dispose an image when done with it (an undisposed one is
/// merely collected, not leaked).
/// </para>
/// </summary>
public sealed class ByteImage : IDisposable
{
    private byte[]? buffer;
    private readonly bool pooled;

    private ByteImage(int width, int height, int channels, byte[] buffer, bool pooled)
    {
        Width = width;
        Height = height;
        Channels = channels;
        this.buffer = buffer;
        this.pooled = pooled;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>1 for grey, 3 for RGB.</summary>
    public int Channels { get; }

    /// <summary>Bytes from one row to the next.</summary>
    public int Stride => Width * Channels;

    public int Length => Height * Stride;

    /// <summary>The model-facing shape, channels first (C×H×W).</summary>
    public ImageShape Shape => new(Channels, Height, Width);

    public Span<byte> Pixels => Buffer.AsSpan(0, Length);

    /// <summary>The array behind <see cref="Pixels"/> (possibly longer), for code that must pin it.</summary>
    internal byte[] Buffer => buffer ?? throw new ObjectDisposedException(nameof(ByteImage));

    public Span<byte> Row(int y) => Pixels.Slice(y * Stride, Stride);

    /// <summary>A new image whose pixel values are undefined: the caller writes every byte.</summary>
    public static ByteImage Create(int width, int height, int channels)
    {
        Validate(width, height, channels);
        return new ByteImage(width, height, channels, ArrayPool<byte>.Shared.Rent(width * height * channels), pooled: true);
    }

    /// <summary>A new image with every pixel set to <paramref name="fill"/> (one value per channel).</summary>
    public static ByteImage Filled(int width, int height, int channels, ReadOnlySpan<byte> fill)
    {
        if (fill.Length != channels)
            throw new ArgumentException($"fill has {fill.Length} values for an image of {channels} channels");
        var image = Create(width, height, channels);
        var pixels = image.Pixels;
        if (channels == 1) pixels.Fill(fill[0]);
        else
        {
            for (int i = 0; i < pixels.Length; i += channels) fill.CopyTo(pixels.Slice(i, channels));
        }
        return image;
    }

    /// <summary>An image over existing interleaved H×W×C bytes (the array is used, not copied).</summary>
    public static ByteImage Wrap(byte[] pixels, int width, int height, int channels)
    {
        Validate(width, height, channels);
        if (pixels.Length != width * height * channels)
            throw new ArgumentException($"{pixels.Length} bytes do not make a {width}x{height} image of {channels} channels");
        return new ByteImage(width, height, channels, pixels, pooled: false);
    }

    public ByteImage Clone()
    {
        var copy = Create(Width, Height, Channels);
        Pixels.CopyTo(copy.Pixels);
        return copy;
    }

    /// <summary>
    /// Each pixel repeated as a <paramref name="scale"/>×<paramref name="scale"/> block — sharp pixels,
    /// as a small image should look when enlarged to be inspected — and grey repeated into three
    /// channels when <paramref name="rgb"/> asks for colour (to draw on it). The caller disposes it.
    /// </summary>
    public ByteImage Enlarged(int scale, bool rgb = false)
    {
        if (scale < 1) throw new ArgumentOutOfRangeException(nameof(scale), scale, "the scale must be at least 1");
        int channels = rgb ? 3 : Channels;
        var large = Create(Width * scale, Height * scale, channels);
        for (int y = 0; y < large.Height; y++)
        {
            ReadOnlySpan<byte> source = Row(y / scale);
            var row = large.Row(y);
            for (int x = 0; x < large.Width; x++)
            {
                var from = source.Slice(x / scale * Channels, Channels);
                var to = row.Slice(x * channels, channels);
                if (from.Length == to.Length) from.CopyTo(to);
                else to.Fill(from[0]);
            }
        }
        return large;
    }

    /// <summary>The pixels as planes, C×H×W, the layout tensors use.</summary>
    public byte[] ToChannelsFirst()
    {
        var output = new byte[Length];
        ReadOnlySpan<byte> pixels = Pixels;
        int plane = Width * Height;
        for (int c = 0; c < Channels; c++)
        {
            var destination = output.AsSpan(c * plane, plane);
            for (int i = 0, j = c; i < plane; i++, j += Channels) destination[i] = pixels[j];
        }
        return output;
    }

    public override string ToString() => $"{Width}x{Height} {(Channels == 1 ? "grey" : "RGB")}";

    public void Dispose()
    {
        var held = buffer;
        buffer = null;
        if (held is not null && pooled) ArrayPool<byte>.Shared.Return(held);
    }

    private static void Validate(int width, int height, int channels)
    {
        if (channels is not (1 or 3))
            throw new ArgumentException($"images have 1 (grey) or 3 (RGB) channels, not {channels}");
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"image size {width}x{height} must be positive");
        if ((long)width * height * channels > Array.MaxLength)
            throw new ArgumentException($"a {width}x{height} image of {channels} channels does not fit in one array");
    }
}
