using VisionLab.Data;

namespace VisionLab.Tests.Support;

/// <summary>The real Fashion-MNIST, loaded once for all tests (test.sh installs the Debian package).</summary>
public static class FashionMnist
{
    private static readonly Lazy<ImageClassificationData> Data = new(() =>
    {
        if (!Directory.Exists(ImageClassificationData.FashionMnistFolder))
            throw new InvalidOperationException(
                $"Fashion-MNIST is missing at {ImageClassificationData.FashionMnistFolder}: run ./test.sh, which installs dataset-fashion-mnist");
        return ImageClassificationData.Open("fashion-mnist");
    });

    public static ImageClassificationData Full => Data.Value;
}
