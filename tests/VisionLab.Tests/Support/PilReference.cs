using System.Text.Json;
using VisionLab.Data.Images;
using VisionLab.Data.NumPy;

namespace VisionLab.Tests.Support;

/// <summary>A test image made by the reference script: a deterministic pattern of the given size and mode ("RGB" or "L").</summary>
public sealed record PatternImage(string Name, int Width, int Height, string Mode = "RGB", int Seed = 1);

/// <summary>One torchvision functional call on a pattern image, e.g. ("resize", {"size": [40, 50]}).</summary>
public sealed record PilCase(string Id, string Image, string Op, object? Args = null);

/// <summary>A torchvision call paired with VisionLab's counterpart, for exact-parity tests.</summary>
public sealed record PilParityCase(PilCase Case, Func<ByteImage, ByteImage> Ours);

/// <summary>An image file for PIL to write in <paramref name="Format"/> (its options in <paramref name="Args"/>) and decode back.</summary>
public sealed record PilFile(string Name, string Format, string Image, object? Args = null);

/// <summary>
/// Runs <c>Data/pil_reference.py</c> with Debian's PIL and torchvision (<c>/usr/bin/python3</c>)
/// once for a set of images, operations and files, keeping the results in a temporary folder as
/// .npy arrays: references made at test time, no binary fixtures in git.
/// </summary>
public sealed class PilReference : IDisposable
{
    private readonly TempFolder folder = new();

    public PilReference(IEnumerable<PatternImage> images, IEnumerable<PilCase>? cases = null, IEnumerable<PilFile>? files = null)
    {
        PythonReferenceScript.Run(Path.Combine("Data", "pil_reference.py"), folder.Path, JsonSerializer.Serialize(new
        {
            images = images.Select(i => new { name = i.Name, width = i.Width, height = i.Height, mode = i.Mode, seed = i.Seed }),
            cases = (cases ?? []).Select(c => new { id = c.Id, image = c.Image, op = c.Op, args = c.Args ?? new { } }),
            files = (files ?? []).Select(f => new { name = f.Name, format = f.Format, image = f.Image, args = f.Args ?? new { } }),
        }));
    }

    public string File(string name) => folder.File(name);

    /// <summary>A pattern image's pixels as PIL holds them.</summary>
    public ByteImage Image(string name) => ReadImage(folder.File(name + ".npy"));

    /// <summary>A case's uint8 result as an image.</summary>
    public ByteImage Result(string id) => ReadImage(folder.File(id + ".npy"));

    /// <summary>A case's float32 result, flattened.</summary>
    public float[] FloatResult(string id)
    {
        using var tensor = NpyFile.Read(folder.File(id + ".npy"));
        return tensor.data<float>().ToArray();
    }

    /// <summary>Asserts that VisionLab's counterpart gives torchvision's result for <paramref name="parity"/>, within <paramref name="tolerance"/> levels.</summary>
    public void AssertMatches(PilParityCase parity, int tolerance = 0)
    {
        using var input = Image(parity.Case.Image);
        using var expected = Result(parity.Case.Id);
        using var actual = parity.Ours(input);
        ImageAssert.Equal(expected, actual, tolerance, parity.Case.Id);
    }

    /// <summary>What PIL decoded from a file it wrote (after exif_transpose and convert).</summary>
    public ByteImage Decoded(string fileName) => ReadImage(folder.File(fileName + ".npy"));

    private static ByteImage ReadImage(string path)
    {
        using var tensor = NpyFile.Read(path);
        var shape = tensor.shape;
        int channels = shape.Length == 3 ? (int)shape[2] : 1;
        return ByteImage.Wrap(tensor.data<byte>().ToArray(), (int)shape[1], (int)shape[0], channels);
    }

    public void Dispose() => folder.Dispose();
}
