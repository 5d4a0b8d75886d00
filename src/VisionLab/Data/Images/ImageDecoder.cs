using System.Buffers;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace VisionLab.Data.Images;

/// <summary>
/// Decodes image files (JPEG, PNG, BMP, WebP, GIF's first frame) into <see cref="ByteImage"/>s
/// with SkiaSharp, the way torchvision's PIL loader sees them: grey or RGB, alpha dropped (as
/// PIL's <c>convert("RGB")</c> does), colour profiles ignored, and EXIF orientation applied (as
/// PIL's <c>ImageOps.exif_transpose</c>). Every failure is a <see cref="DataFormatException"/>
/// naming the file, so a loader can skip and count bad files instead of crashing.
/// </summary>
/// <param name="maxPixels">
/// Images declaring more pixels than this in their header are refused before any pixel memory is
/// allocated: a few hundred bytes can declare a 30000×30000 image (a "decompression bomb").
/// </param>
/// <param name="useSystemJpeg">
/// Decode JPEGs with the system's libjpeg-turbo when it is installed (faster than SkiaSharp's
/// build, and PIL's exact pixels); false always uses SkiaSharp.
/// </param>
public sealed class ImageDecoder(long maxPixels = ImageDecoder.DefaultMaxPixels, bool useSystemJpeg = true)
{
    /// <summary>100 megapixels: above any camera photo, below PIL's own error threshold (179 MP).</summary>
    public const long DefaultMaxPixels = 100_000_000;

    public static ImageDecoder Default { get; } = new();

    public long MaxPixels { get; } = maxPixels > 0 ? maxPixels : throw new ArgumentOutOfRangeException(nameof(maxPixels), maxPixels, "must be positive");

    /// <summary>Whether JPEGs go through the system's libjpeg-turbo (asked for, and installed).</summary>
    public bool UsesSystemJpeg { get; } = useSystemJpeg && TurboJpeg.IsAvailable;

    /// <summary>Decodes <paramref name="path"/> to an upright image of 1 (grey) or 3 (RGB) channels.</summary>
    public ByteImage Decode(string path, int channels)
    {
        using var data = Open(path);
        return Decode(data, path, channels);
    }

    /// <summary>Decodes an encoded image held in memory; <paramref name="name"/> names it in errors.</summary>
    public ByteImage Decode(ReadOnlySpan<byte> encoded, string name, int channels)
    {
        if (encoded.IsEmpty) throw new DataFormatException(name, "is empty (0 bytes), not an image");
        using var data = SKData.CreateCopy(encoded);
        return Decode(data, name, channels);
    }

    /// <summary>The upright width and height, read from the header alone (nothing is decoded).</summary>
    public (int Width, int Height) ReadSize(string path)
    {
        using var data = Open(path);
        using var codec = OpenCodec(data, path);
        var info = codec.Info;
        return SwapsAxes(codec.EncodedOrigin) ? (info.Height, info.Width) : (info.Width, info.Height);
    }

    private ByteImage Decode(SKData data, string name, int channels)
    {
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "images decode to 1 (grey) or 3 (RGB) channels");
        using var codec = OpenCodec(data, name);
        var stored = (UsesSystemJpeg && codec.EncodedFormat == SKEncodedImageFormat.Jpeg ? DecodeSystemJpeg(data, name, channels) : null)
            ?? DecodePixels(codec, name, channels);
        var orientation = Transpositions.FromExifOrientation((int)codec.EncodedOrigin);
        if (orientation == Transposition.None) return stored;
        using (stored) return stored.Apply(orientation);
    }

    private SKCodec OpenCodec(SKData data, string name)
    {
        var codec = SKCodec.Create(data)
            ?? throw new DataFormatException(name, "is not an image in a supported format (JPEG, PNG, BMP, WebP, GIF), or its header is corrupt");
        var info = codec.Info;
        long pixels = (long)info.Width * info.Height;
        if (info.Width <= 0 || info.Height <= 0)
        {
            codec.Dispose();
            throw new DataFormatException(name, $"declares an empty size {info.Width}x{info.Height}");
        }
        if (pixels > MaxPixels)
        {
            codec.Dispose();
            throw new ImageTooLargeException(name, info.Width, info.Height, MaxPixels);
        }
        return codec;
    }

    private static ByteImage? DecodeSystemJpeg(SKData data, string name, int channels)
    {
        var image = TurboJpeg.TryDecode(data.Data, data.Size, name);
        if (image is null) return null;
        var converted = image.ToChannels(channels);
        if (!ReferenceEquals(converted, image)) image.Dispose();
        return converted;
    }

    private static ByteImage DecodePixels(SKCodec codec, string name, int channels)
    {
        int width = codec.Info.Width, height = codec.Info.Height;
        if (codec.Info.ColorType == SKColorType.Gray8)
        {
            // Grey sources decode straight into the image: PIL's "L" mode, no conversion.
            var grey = ByteImage.Create(width, height, 1);
            try
            {
                Run(codec, new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque), grey.Buffer, name);
            }
            catch
            {
                grey.Dispose();
                throw;
            }
            if (channels == 1) return grey;
            using (grey) return ColorConversion.GreyToRgb(grey);
        }

        // Colour sources (with or without alpha, palettes included) decode to unpremultiplied RGBA,
        // so that dropping alpha leaves the stored colour values, as PIL's RGBA -> RGB does.
        byte[] rgba = ArrayPool<byte>.Shared.Rent(checked(width * height * 4));
        try
        {
            Run(codec, new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), rgba, name);
            var image = ByteImage.Create(width, height, channels);
            var pixels = image.Pixels;
            if (channels == 3)
            {
                for (int i = 0, j = 0; i < pixels.Length; i += 3, j += 4)
                {
                    pixels[i] = rgba[j];
                    pixels[i + 1] = rgba[j + 1];
                    pixels[i + 2] = rgba[j + 2];
                }
            }
            else
            {
                for (int i = 0, j = 0; i < pixels.Length; i++, j += 4)
                    pixels[i] = ColorConversion.Luma(rgba[j], rgba[j + 1], rgba[j + 2]);
            }
            return image;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rgba);
        }
    }

    private static void Run(SKCodec codec, SKImageInfo info, byte[] destination, string name)
    {
        var handle = GCHandle.Alloc(destination, GCHandleType.Pinned);
        SKCodecResult result;
        try
        {
            result = codec.GetPixels(info, handle.AddrOfPinnedObject());
        }
        finally
        {
            handle.Free();
        }
        switch (result)
        {
            case SKCodecResult.Success:
                return;
            case SKCodecResult.IncompleteInput:
                throw new DataFormatException(name, "is truncated: the image data ends before the last row");
            case SKCodecResult.ErrorInInput:
                throw new DataFormatException(name, "is corrupt: the compressed image data is invalid");
            default:
                throw new DataFormatException(name, $"cannot be decoded ({result})");
        }
    }

    private static SKData Open(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
            throw new DataFormatException(path, Directory.Exists(path) ? "is a folder, not an image" : "file not found");
        if (file.Length == 0) throw new DataFormatException(path, "is empty (0 bytes), not an image");
        try
        {
            return SKData.Create(path) ?? throw new DataFormatException(path, "cannot be read");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"cannot be read: {e.Message}", e);
        }
    }

    private static bool SwapsAxes(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
}
