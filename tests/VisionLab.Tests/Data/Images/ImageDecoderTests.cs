using VisionLab;
using VisionLab.Data;
using VisionLab.Data.Images;
using VisionLab.Tests.Support;

namespace VisionLab.Tests.Data.Images;

/// <summary>Image files written by PIL in every supported format, with what PIL decodes from them.</summary>
public sealed class DecodingReference : IDisposable
{
    public static readonly PatternImage[] Images = [new("rgb", 97, 73), new("grey", 61, 83, "L", 2), new("blocks", 64, 48, "RGB", 5)];

    /// <summary>Lossless files: VisionLab must decode exactly PIL's pixels.</summary>
    public static readonly (PilFile File, int Channels)[] Lossless =
    [
        (new("rgb.png", "PNG", "rgb"), 3),
        (new("rgb-as-grey.png", "PNG", "rgb", new { decode_mode = "L" }), 1),
        (new("grey.png", "PNG", "grey", new { decode_mode = "L" }), 1),
        (new("grey-as-rgb.png", "PNG", "grey"), 3),
        (new("rgba.png", "PNG", "rgb", new { alpha = true }), 3),
        (new("palette.png", "PNG", "rgb", new { palette = true, colors = 200 }), 3),
        (new("rgb.bmp", "BMP", "rgb"), 3),
        (new("grey.bmp", "BMP", "grey", new { decode_mode = "L" }), 1),
        (new("rgb.webp", "WEBP", "rgb", new { lossless = true }), 3),
        (new("rgb.gif", "GIF", "rgb", new { colors = 64 }), 3),
    ];

    public static readonly PilFile[] Jpegs =
    [
        new("rgb.jpg", "JPEG", "rgb", new { quality = 90 }),
        new("grey.jpg", "JPEG", "grey", new { quality = 90, decode_mode = "L" }),
        .. Enumerable.Range(1, 8).Select(o => new PilFile($"oriented-{o}.jpg", "JPEG", "blocks", new { quality = 95, exif_orientation = o })),
    ];

    public PilReference Reference { get; } = new(Images, files: Lossless.Select(l => l.File).Concat(Jpegs));

    public void Dispose() => Reference.Dispose();
}

public class ImageDecoderTests(DecodingReference fixture) : IClassFixture<DecodingReference>
{
    public static TheoryData<string> LosslessFiles => new(DecodingReference.Lossless.Select(l => l.File.Name));

    [Theory]
    [MemberData(nameof(LosslessFiles))]
    public void Lossless_formats_decode_to_exactly_PILs_pixels(string name)
    {
        var (_, channels) = DecodingReference.Lossless.Single(l => l.File.Name == name);
        using var expected = fixture.Reference.Decoded(name);
        using var actual = ImageDecoder.Default.Decode(fixture.Reference.File(name), channels);
        ImageAssert.Equal(expected, actual, what: name);
    }

    [Theory]
    [InlineData("rgb.jpg", 3, true)]
    [InlineData("rgb.jpg", 1, true)]
    [InlineData("grey.jpg", 1, true)]
    [InlineData("grey.jpg", 3, true)]
    [InlineData("rgb.jpg", 3, false)]
    [InlineData("grey.jpg", 1, false)]
    public void Jpeg_decodes_within_a_few_levels_of_PIL(string name, int channels, bool systemJpeg)
    {
        // Every path is libjpeg-turbo and they agree exactly on this machine, but SkiaSharp's bundled
        // build may round the inverse DCT or chroma upsampling differently from the system's.
        var decoder = new ImageDecoder(useSystemJpeg: systemJpeg);
        using var pil = fixture.Reference.Decoded(name);
        using var expected = pil.ToChannels(channels);
        using var actual = decoder.Decode(fixture.Reference.File(name), channels);
        ImageAssert.Equal(expected, actual, tolerance: 3, what: name);
    }

    [Fact]
    public void The_system_libjpeg_turbo_is_used_when_installed()
    {
        // scripts/setup.sh installs libturbojpeg0; without it decoding still works, through SkiaSharp, only slower.
        Assert.True(ImageDecoder.Default.UsesSystemJpeg, "libturbojpeg.so.0 was not found: install Debian's libturbojpeg0");
        Assert.False(new ImageDecoder(useSystemJpeg: false).UsesSystemJpeg);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Jpeg_EXIF_orientation_is_applied_as_PIL_exif_transpose_does(int orientation)
    {
        string name = $"oriented-{orientation}.jpg";
        using var expected = fixture.Reference.Decoded(name);
        using var actual = ImageDecoder.Default.Decode(fixture.Reference.File(name), 3);
        ImageAssert.Equal(expected, actual, tolerance: 3, what: name);
        // The stored pixels are the same in every file, so the upright images are exact transpositions of orientation 1's.
        using var stored = ImageDecoder.Default.Decode(fixture.Reference.File("oriented-1.jpg"), 3);
        using var transposed = stored.Apply(Transpositions.FromExifOrientation(orientation));
        ImageAssert.Equal(transposed, actual, what: name);
        Assert.Equal((actual.Width, actual.Height), ImageDecoder.Default.ReadSize(fixture.Reference.File(name)));
    }

    [Fact]
    public void An_empty_file_is_refused_with_its_path()
    {
        using var dir = new TempFolder();
        string path = dir.File("empty.jpg");
        File.WriteAllBytes(path, []);
        var error = Assert.Throws<DataFormatException>(() => ImageDecoder.Default.Decode(path, 3));
        Assert.Equal(path, error.Path);
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void A_text_file_named_jpg_is_refused_as_not_an_image()
    {
        using var dir = new TempFolder();
        string path = dir.File("notes.jpg");
        File.WriteAllText(path, "these are my holiday notes, not a photo\n");
        var error = Assert.Throws<DataFormatException>(() => ImageDecoder.Default.Decode(path, 3));
        Assert.StartsWith(path, error.Message);
        Assert.Contains("not an image", error.Message);
    }

    [Fact]
    public void A_missing_file_and_a_folder_are_refused()
    {
        using var dir = new TempFolder();
        Assert.Contains("not found", Assert.Throws<DataFormatException>(() => ImageDecoder.Default.Decode(dir.File("gone.png"), 3)).Message);
        Assert.Contains("folder", Assert.Throws<DataFormatException>(() => ImageDecoder.Default.Decode(dir.Path, 3)).Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_truncated_jpeg_is_refused_as_truncated(bool systemJpeg)
    {
        using var dir = new TempFolder();
        byte[] jpeg = File.ReadAllBytes(fixture.Reference.File("rgb.jpg"));
        string path = dir.File("cut.jpg");
        File.WriteAllBytes(path, jpeg[..(jpeg.Length * 3 / 5)]);
        var error = Assert.Throws<DataFormatException>(() => new ImageDecoder(useSystemJpeg: systemJpeg).Decode(path, 3));
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void A_jpeg_with_a_corrupt_header_is_refused()
    {
        using var dir = new TempFolder();
        byte[] jpeg = File.ReadAllBytes(fixture.Reference.File("rgb.jpg"));
        var rng = new Random(3);
        for (int i = 2; i < 200; i++) jpeg[i] = (byte)rng.Next(256);
        string path = dir.File("corrupt.jpg");
        File.WriteAllBytes(path, jpeg);
        Assert.Throws<DataFormatException>(() => ImageDecoder.Default.Decode(path, 3));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Corrupt_jpeg_data_never_crashes_the_process(bool systemJpeg)
    {
        // Damage anywhere must end as a decoded image or a DataFormatException, nothing else.
        byte[] original = File.ReadAllBytes(fixture.Reference.File("rgb.jpg"));
        var decoder = new ImageDecoder(useSystemJpeg: systemJpeg);
        var rng = new Random(7);
        for (int trial = 0; trial < 40; trial++)
        {
            byte[] damaged = (byte[])original.Clone();
            for (int k = 0; k < 10; k++) damaged[rng.Next(damaged.Length)] = (byte)rng.Next(256);
            try
            {
                using var image = decoder.Decode(damaged, $"damaged-{trial}.jpg", 3);
            }
            catch (DataFormatException)
            {
            }
        }
    }

    [Fact]
    public void A_decompression_bomb_header_is_refused_before_decoding()
    {
        using var dir = new TempFolder();
        byte[] jpeg = File.ReadAllBytes(fixture.Reference.File("rgb.jpg"));
        // Baseline JPEG's frame header (SOF0, FF C0): length, precision, then height and width, big-endian.
        int sof = Enumerable.Range(0, jpeg.Length - 1).First(i => jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0);
        jpeg[sof + 5] = 30000 >> 8;
        jpeg[sof + 6] = 30000 & 0xFF;
        jpeg[sof + 7] = 30000 >> 8;
        jpeg[sof + 8] = 30000 & 0xFF;
        string path = dir.File("bomb.jpg");
        File.WriteAllBytes(path, jpeg);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ImageTooLargeException>(() => ImageDecoder.Default.Decode(path, 3));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000, "pixel memory was allocated before refusing");
        Assert.Equal((30000, 30000), (error.Width, error.Height));
        Assert.IsAssignableFrom<DataFormatException>(error); // loaders that skip bad files skip it too
        Assert.Contains("30000x30000", error.Message);
        Assert.Contains("limit", error.Message);
    }

    [Fact]
    public void The_pixel_limit_is_configurable()
    {
        string path = fixture.Reference.File("rgb.png");
        Assert.Throws<ImageTooLargeException>(() => new ImageDecoder(maxPixels: 97 * 73 - 1).Decode(path, 3));
        using var image = new ImageDecoder(maxPixels: 97 * 73).Decode(path, 3);
        Assert.Equal((97, 73), (image.Width, image.Height));
    }
}
