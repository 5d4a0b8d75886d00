using SkiaSharp;

namespace VisionLab.Data.Images;

/// <summary>Decodes image files (PNG, JPEG, BMP, WebP, GIF's first frame) into model-ready pixels.</summary>
public static class ImageFile
{
    /// <summary>Largest image we agree to decode; anything bigger is refused before its pixels are allocated.</summary>
    public const long MaxPixels = 100_000_000;

    /// <summary>
    /// Reads <paramref name="path"/> and returns its pixels as C×H×W bytes at the requested size:
    /// one channel gives luminance (ITU-R 601, as PIL's "L" mode), three give RGB.
    /// </summary>
    public static byte[] Load(string path, ImageShape shape)
    {
        if (!File.Exists(path))
            throw new DataFormatException(path, Directory.Exists(path) ? "is a folder, not an image" : "file not found");
        using var data = SKData.Create(path);
        using var codec = data is null ? null : SKCodec.Create(data);
        if (codec is null)
            throw new DataFormatException(path, "not a readable image (supported: PNG, JPEG, BMP, WebP, GIF)");
        var info = codec.Info;
        if ((long)info.Width * info.Height > MaxPixels)
            throw new DataFormatException(path, $"declares {info.Width}x{info.Height} pixels, more than the {MaxPixels:N0} allowed");

        using var decoded = new SKBitmap(new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var result = codec.GetPixels(decoded.Info, decoded.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            throw new DataFormatException(path, $"cannot be decoded ({result})");
        if (result == SKCodecResult.IncompleteInput)
            throw new DataFormatException(path, "truncated: the image data ends early");

        using var resized = decoded.Width == shape.Width && decoded.Height == shape.Height
            ? decoded.Copy()
            : decoded.Resize(new SKImageInfo(shape.Width, shape.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul),
                new SKSamplingOptions(SKCubicResampler.Mitchell));
        return ToChannels(resized, shape);
    }

    private static byte[] ToChannels(SKBitmap image, ImageShape shape)
    {
        if (shape.Channels is not (1 or 3))
            throw new VisionLabException($"images can be prepared with 1 or 3 channels, not {shape.Channels}");
        ReadOnlySpan<byte> rgba = image.GetPixelSpan();
        int plane = shape.Height * shape.Width;
        var output = new byte[shape.Channels * plane];
        for (int i = 0; i < plane; i++)
        {
            byte r = rgba[4 * i], g = rgba[4 * i + 1], b = rgba[4 * i + 2];
            if (shape.Channels == 1)
            {
                output[i] = (byte)((r * 299 + g * 587 + b * 114 + 500) / 1000);
            }
            else
            {
                output[i] = r;
                output[plane + i] = g;
                output[2 * plane + i] = b;
            }
        }
        return output;
    }
}
