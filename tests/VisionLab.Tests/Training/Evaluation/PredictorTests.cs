using System.Runtime.InteropServices;
using SkiaSharp;
using VisionLab.Data;
using VisionLab.Data.Transforms;
using VisionLab.Inference;
using VisionLab.Models;
using VisionLab.Runtime;
using VisionLab.Tests.Support;

namespace VisionLab.Tests.Training.Evaluation;

/// <summary>
/// Prediction with mirror averaging: each class's probability is the mean of what the model gives
/// the image and what it gives the image's mirror, each predicted alone from its own file.
/// </summary>
public sealed class PredictorTests : IDisposable
{
    private const int Side = 28;
    private static readonly EvalTransform Transform = new(1, Side, Side, [0.2860f], [0.3530f]);
    private static readonly IReadOnlyList<string> Classes = ImageClassificationData.FashionMnistClasses;

    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    /// <summary>A grey picture unlike its mirror: brightness rising to the right, a bright block top left.</summary>
    private static byte[] Lopsided()
    {
        var pixels = new byte[Side * Side];
        for (int y = 0; y < Side; y++)
            for (int x = 0; x < Side; x++)
                pixels[y * Side + x] = (byte)(x < 8 && y < 10 ? 250 : 6 * x);
        return pixels;
    }

    private static byte[] Mirrored(byte[] pixels) =>
        [.. Enumerable.Range(0, pixels.Length).Select(i => pixels[i / Side * Side + (Side - 1 - i % Side)])];

    private string WritePng(string name, byte[] pixels)
    {
        string path = Path.Combine(folder.Path, name);
        using var bitmap = new SKBitmap(new SKImageInfo(Side, Side, SKColorType.Gray8, SKAlphaType.Opaque));
        Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    private static Dictionary<string, double> ByClass(Prediction p) => p.Top.ToDictionary(c => c.Class, c => c.Probability);

    [Fact]
    public void Mirror_averaged_probabilities_are_the_mean_of_the_image_and_its_mirror()
    {
        var pixels = Lopsided();
        string image = WritePng("image.png", pixels), mirror = WritePng("mirror.png", Mirrored(pixels));
        TorchRuntime.Seed(5);
        using var model = ModelZoo.Create("lenet5", new ModelOptions(10, 1));
        // An untrained LeNet's logits sit near zero, every class near 0.1 in both views; a steeper
        // last layer spreads them so the views differ.
        using (TorchSharp.torch.no_grad())
            foreach (var (_, parameter) in model.named_parameters().Where(p => p.name.StartsWith("fc3.")))
                parameter.mul_(100);

        var plain = new Predictor(model, Transform, Classes);
        var asIs = ByClass(plain.Predict(image, 10));
        var ofMirror = ByClass(plain.Predict(mirror, 10));
        var averaged = new Predictor(model, Transform, Classes, mirrorAveraged: true).Predict(image, 10);

        Assert.True(Classes.Max(c => Math.Abs(asIs[c] - ofMirror[c])) > 1e-3, "the two views agree, so averaging them shows nothing");
        Assert.Equal("hflip", averaged.TestTimeAugmentation);
        Assert.Null(plain.Predict(image, 1).TestTimeAugmentation);
        var probabilities = averaged.Top.Select(c => c.Probability).ToList();
        Assert.Equal(probabilities.OrderDescending(), probabilities);
        foreach (var c in averaged.Top)
            Assert.Equal((asIs[c.Class] + ofMirror[c.Class]) / 2, c.Probability, 5);
    }
}
