using VisionLab.Data.NumPy;
using VisionLab.Tests.Support;
using static TorchSharp.torch;

namespace VisionLab.Tests.Data;

public class NpyFileTests
{
    [Fact]
    public void A_written_array_reads_back_identically()
    {
        using var dir = new TempFolder();
        using var x = randn(2, 3, 5, 7);
        NpyFile.Write(dir.File("x.npy"), x);
        using var y = NpyFile.Read(dir.File("x.npy"));
        Assert.True(y.SameAs(x));
        Assert.Equal(0, new FileInfo(dir.File("x.npy")).Length % 4);
    }

    [Fact]
    public void Arrays_numpy_wrote_are_read_with_their_shape_and_values()
    {
        using var dir = new TempFolder();
        string path = dir.File("a.npy");
        var python = System.Diagnostics.Process.Start("/usr/bin/python3",
            ["-c", $"import numpy; numpy.save('{path}', numpy.arange(24, dtype=numpy.float32).reshape(2, 3, 4))"])!;
        python.WaitForExit();
        Assert.Equal(0, python.ExitCode);
        using var a = NpyFile.Read(path);
        Assert.Equal(new long[] { 2, 3, 4 }, a.shape);
        Assert.Equal(23f, a[1, 2, 3].item<float>());
    }

    [Fact]
    public void A_truncated_array_is_refused_with_the_sizes()
    {
        using var dir = new TempFolder();
        using var x = ones(4, 4);
        NpyFile.Write(dir.File("x.npy"), x);
        var bytes = File.ReadAllBytes(dir.File("x.npy"));
        File.WriteAllBytes(dir.File("x.npy"), bytes[..^8]);
        var e = Assert.Throws<DataFormatException>(() => NpyFile.Read(dir.File("x.npy")));
        Assert.Contains("needs 64 bytes of data, the file holds 56", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_npy_is_refused()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("x.npy"), "1,2,3");
        var e = Assert.Throws<DataFormatException>(() => NpyFile.Read(dir.File("x.npy")));
        Assert.Contains("not a NumPy .npy file", e.Message);
    }
}
