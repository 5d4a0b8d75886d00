using System.Text.Json;
using VisionLab.Data.NumPy;
using VisionLab.Explain;
using VisionLab.Models;
using VisionLab.Models.Weights;
using VisionLab.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VisionLab.Tests.Explain;

/// <summary>Makes the PyTorch reference maps once for the class's tests.</summary>
public sealed class CamReferences : IDisposable
{
    public static readonly (string Id, string Model, int Classes, int Size, string Layer, string? Kwargs)[] Cases =
    [
        ("resnet18", "resnet18", 1000, 224, "layer4", null),
        ("vit_b_16", "vit_b_16", 10, 64, "encoder.layers.encoder_layer_11.ln_1", "{\"image_size\": 64}"),
    ];

    private readonly TempFolder folder = new();

    public CamReferences()
    {
        var request = Cases.Select(c => new Dictionary<string, object>
        {
            ["id"] = c.Id, ["model"] = c.Model, ["num_classes"] = c.Classes, ["height"] = c.Size, ["width"] = c.Size,
            ["seed"] = 7, ["layer"] = c.Layer,
            ["kwargs"] = c.Kwargs is null ? new Dictionary<string, object>() : JsonSerializer.Deserialize<Dictionary<string, object>>(c.Kwargs)!,
        });
        PythonReferenceScript.Run("Explain/cam_reference.py", folder.Path, JsonSerializer.Serialize(request));
    }

    public string File(string id, string suffix) => folder.File($"{id}.{suffix}");

    public void Dispose() => folder.Dispose();
}

/// <summary>
/// Class-activation maps equal PyTorch's on the same seeded torchvision weights: the raw map at the
/// target layer's resolution, and the map upsampled to the image and normalised (within 1e-4), for
/// a convolutional network's default layer and a vision transformer's tokens laid on their grid.
/// </summary>
public class CamParityTests(CamReferences references, ITestOutputHelper output) : IClassFixture<CamReferences>
{
    [Theory]
    [InlineData("resnet18", "gradcam")]
    [InlineData("resnet18", "gradcam++")]
    [InlineData("resnet18", "xgradcam")]
    [InlineData("resnet18", "hirescam")]
    [InlineData("resnet18", "layercam")]
    [InlineData("vit_b_16", "gradcam")]
    [InlineData("vit_b_16", "layercam")]
    public void Maps_equal_pytorch_on_the_same_weights(string id, string method)
    {
        var c = CamReferences.Cases.Single(k => k.Id == id);
        using var model = c.Model == "vit_b_16"
            ? VisionTransformerFor(c.Size, c.Classes)
            : ModelZoo.Create(c.Model, new ModelOptions(c.Classes));
        WeightsFile.LoadInto(model, references.File(id, "weights.pt"));
        using var image = NpyFile.Read(references.File(id, "input.npy"));
        using var expectedClass = NpyFile.Read(references.File(id, "class.npy"));
        int classIndex = (int)expectedClass.item<long>();

        // The family's default layer is the one the reference hooked.
        var layer = TargetLayer.Of(model);
        if (c.Model == "vit_b_16") Assert.Equal(c.Layer, layer.Name);
        var raw = ExplanationMethods.Find(method).Explain(new ExplainContext(model, layer), image, classIndex);

        using var expectedRaw = NpyFile.Read(references.File(id, $"{method}.raw.npy"));
        Assert.Equal(expectedRaw.shape, new long[] { raw.Height, raw.Width });
        double largest = expectedRaw.abs().max().item<float>();
        // A map of zeros would match anything: the reference must show something.
        Assert.True(largest > 0 && expectedRaw.min().item<float>() < largest, $"{id} {method}: the reference map is flat");
        double scale = largest;
        double rawDifference = Max(raw, expectedRaw) / scale;

        var shown = raw.Resized(c.Size, c.Size).Normalized();
        using var expectedShown = NpyFile.Read(references.File(id, $"{method}.npy"));
        double shownDifference = Max(shown, expectedShown);
        output.WriteLine($"{id} {method}: {raw.Height}x{raw.Width}, raw max |difference| / largest {rawDifference:E2}, normalised {shownDifference:E2}");
        Assert.True(rawDifference <= 1e-4, $"raw map differs by {rawDifference:E2} of its largest value");
        Assert.True(shownDifference <= 1e-4, $"normalised map differs by {shownDifference:E2}");
    }

    private static double Max(SaliencyMap map, Tensor expected)
    {
        using var actual = map.ToTensor();
        using var difference = (actual - expected).abs();
        return difference.max().item<float>();
    }

    // The tests see the library's internals (the parity tests build a ViT at another image size too).
    private static ImageClassifier VisionTransformerFor(int size, int classes) =>
        new VisionTransformer(VisionTransformer.B16, new ModelOptions(classes), imageSize: size);
}
