using VisionLab.Data.Idx;

namespace VisionLab.Data;

/// <summary>A training split, a test split and the statistics used to normalise both.</summary>
public sealed record ImageClassificationData(
    string Name, InMemoryImageDataset Train, InMemoryImageDataset Test, float[] Mean, float[] Std)
{
    public IReadOnlyList<string> Classes => Train.Classes;

    /// <summary>Folder of the Debian package <c>dataset-fashion-mnist</c>.</summary>
    public const string FashionMnistFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>Class names of Fashion-MNIST, in label order (Xiao et al., 2017).</summary>
    public static readonly IReadOnlyList<string> FashionMnistClasses =
    [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ];

    /// <summary>
    /// Opens a data set by name or folder. <c>fashion-mnist</c> is the Debian package's folder; any
    /// other value is a folder of IDX files named as MNIST's are (<c>train-images-idx3-ubyte</c>,
    /// optionally <c>.gz</c>). A folder's class names come from its <c>classes.txt</c> (one a line)
    /// or, failing that, are the label numbers.
    /// </summary>
    public static ImageClassificationData Open(string nameOrFolder)
    {
        bool fashion = nameOrFolder.Equals("fashion-mnist", StringComparison.OrdinalIgnoreCase);
        string folder = fashion ? FashionMnistFolder : nameOrFolder;
        if (!Directory.Exists(folder))
            throw new VisionLabException(fashion
                ? $"Fashion-MNIST not found at {folder}: install it with 'sudo apt-get install dataset-fashion-mnist'"
                : $"data folder {folder} does not exist (give 'fashion-mnist' or a folder of IDX files)");

        string trainImages = FindIdx(folder, "train-images-idx3-ubyte");
        string trainLabels = FindIdx(folder, "train-labels-idx1-ubyte");
        string testImages = FindIdx(folder, "t10k-images-idx3-ubyte");
        string testLabels = FindIdx(folder, "t10k-labels-idx1-ubyte");
        var classes = fashion ? FashionMnistClasses : ClassNamesIn(folder, trainLabels);
        string name = fashion ? "fashion-mnist" : Path.GetFullPath(folder);

        var train = IdxDataset.Load(trainImages, trainLabels, classes, $"{name}/train");
        var test = IdxDataset.Load(testImages, testLabels, classes, $"{name}/test");
        if (train.ImageShape != test.ImageShape)
            throw new DataFormatException(testImages, $"test images are {test.ImageShape} but training images are {train.ImageShape}");
        var (mean, std) = train.ChannelStatistics();
        return new ImageClassificationData(name, train, test, mean, std);
    }

    /// <summary>Whether <paramref name="nameOrFolder"/> names IDX data (Fashion-MNIST, or a folder
    /// holding <c>train-images-idx3-ubyte</c>) rather than a folder of image files.</summary>
    public static bool IsIdx(string nameOrFolder) =>
        nameOrFolder.Equals("fashion-mnist", StringComparison.OrdinalIgnoreCase)
        || !Directory.Exists(nameOrFolder)
        || File.Exists(Path.Combine(nameOrFolder, "train-images-idx3-ubyte"))
        || File.Exists(Path.Combine(nameOrFolder, "train-images-idx3-ubyte.gz"));

    private static string FindIdx(string folder, string stem)
    {
        foreach (string candidate in new[] { stem, stem + ".gz" })
        {
            string path = Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }
        throw new VisionLabException($"{folder}: no {stem} or {stem}.gz in this folder");
    }

    private static IReadOnlyList<string> ClassNamesIn(string folder, string labelsPath)
    {
        string listPath = Path.Combine(folder, "classes.txt");
        if (File.Exists(listPath))
            return File.ReadAllLines(listPath).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        int max = IdxFile.Read(labelsPath).Data.Max();
        return Enumerable.Range(0, max + 1).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>Keeps the first items of each split, for quick runs and tests.</summary>
    public ImageClassificationData Subset(int? trainCount, int? testCount) => this with
    {
        Train = trainCount is int n ? Train.Take(n) : Train,
        Test = testCount is int m ? Test.Take(m) : Test,
    };
}
