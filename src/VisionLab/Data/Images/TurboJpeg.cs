using System.Runtime.InteropServices;

namespace VisionLab.Data.Images;

/// <summary>
/// JPEG decoding through the system's libjpeg-turbo (its TurboJPEG API, Debian's
/// <c>libturbojpeg0</c>), used by <see cref="ImageDecoder"/> when the library is installed.
/// SkiaSharp's bundled libjpeg-turbo is built without SIMD and decodes about 2.5× slower; the
/// system library is the very one PIL links, with the same default settings (accurate integer
/// IDCT, smooth chroma upsampling), so its pixels are PIL's exactly. When the library is absent,
/// or cannot decode a file (CMYK, say), decoding falls back to SkiaSharp.
/// </summary>
internal static class TurboJpeg
{
    private const int PixelFormatRgb = 0, PixelFormatGray = 6;
    private const int ColorspaceGray = 2, ColorspaceCmyk = 3, ColorspaceYcck = 4;
    private const int ErrorWarning = 0;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr InitDecompress();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int DecompressHeader3(IntPtr handle, IntPtr jpeg, nuint size, out int width, out int height, out int subsampling, out int colorspace);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int Decompress2(IntPtr handle, IntPtr jpeg, nuint size, IntPtr destination, int width, int pitch, int height, int pixelFormat, int flags);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int Destroy(IntPtr handle);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int GetErrorCode(IntPtr handle);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GetErrorString2(IntPtr handle);

    private sealed record Api(InitDecompress Init, DecompressHeader3 Header, Decompress2 Decompress, Destroy Destroy,
        GetErrorCode ErrorCode, GetErrorString2 ErrorString);

    private static readonly Api? api = Load();

    public static bool IsAvailable => api is not null;

    /// <summary>
    /// Decodes a JPEG held at <paramref name="jpeg"/> into an image of its own channels (grey or
    /// RGB), or returns null when this library cannot (then the caller decodes another way).
    /// </summary>
    public static ByteImage? TryDecode(IntPtr jpeg, long size, string name)
    {
        if (api is null) return null;
        IntPtr handle = api.Init();
        if (handle == IntPtr.Zero) return null;
        try
        {
            if (api.Header(handle, jpeg, (nuint)size, out int width, out int height, out _, out int colorspace) != 0
                || colorspace is ColorspaceCmyk or ColorspaceYcck || width <= 0 || height <= 0)
                return null;
            bool grey = colorspace == ColorspaceGray;
            var image = ByteImage.Create(width, height, grey ? 1 : 3);
            var pinned = GCHandle.Alloc(image.Buffer, GCHandleType.Pinned);
            int result;
            try
            {
                result = api.Decompress(handle, jpeg, (nuint)size, pinned.AddrOfPinnedObject(), width, image.Stride, height,
                    grey ? PixelFormatGray : PixelFormatRgb, 0);
            }
            finally
            {
                pinned.Free();
            }
            if (result == 0) return image;
            bool warning = api.ErrorCode(handle) == ErrorWarning;
            string message = Marshal.PtrToStringAnsi(api.ErrorString(handle)) ?? "";
            // libjpeg warns, and still delivers the image, for damage it can step over (PIL loads
            // those too); a file that ends early is refused, as PIL refuses it.
            if (warning && !message.Contains("Premature end", StringComparison.OrdinalIgnoreCase)) return image;
            image.Dispose();
            if (warning) throw new DataFormatException(name, "is truncated: the image data ends before the last row");
            return null;
        }
        finally
        {
            api.Destroy(handle);
        }
    }

    private static Api? Load()
    {
        // TurboJPEG's sizes are C "unsigned long": 64-bit on Linux and macOS, 32-bit on Windows, where we do not bind it.
        if (OperatingSystem.IsWindows()) return null;
        foreach (string name in new[] { "libturbojpeg.so.0", "libturbojpeg.so", "libturbojpeg.0.dylib", "libturbojpeg.dylib" })
        {
            if (!NativeLibrary.TryLoad(name, out IntPtr library)) continue;
            try
            {
                return new Api(Bind<InitDecompress>(library, "tjInitDecompress"), Bind<DecompressHeader3>(library, "tjDecompressHeader3"),
                    Bind<Decompress2>(library, "tjDecompress2"), Bind<Destroy>(library, "tjDestroy"),
                    Bind<GetErrorCode>(library, "tjGetErrorCode"), Bind<GetErrorString2>(library, "tjGetErrorStr2"));
            }
            catch (EntryPointNotFoundException)
            {
                return null;
            }
        }
        return null;
    }

    private static T Bind<T>(IntPtr library, string symbol) where T : Delegate =>
        Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(library, symbol));
}
