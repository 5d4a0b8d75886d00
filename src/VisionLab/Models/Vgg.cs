using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models;

/// <summary>
/// VGG — Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
/// Recognition", ICLR 2015. Only 3×3 convolutions (padding 1, so they keep the size) in five stages,
/// each closed by a 2×2 max pool; depth is the one thing the paper's configurations vary. Three
/// fully connected layers with dropout follow. The "_bn" variants add batch normalisation
/// (Ioffe and Szegedy, 2015, published after VGG) between each convolution and its ReLU.
/// As in torchvision, an adaptive average pool to 7×7 (224 / 2⁵) before the classifier lets other
/// input sizes through, down to 32×32. Names, shapes and initialisation follow torchvision, whose
/// weights therefore load unchanged.
/// </summary>
public sealed class Vgg : ImageClassifier
{
    /// <summary>A 2×2 stride-2 max pool in a configuration; every other entry is a 3×3 convolution's width.</summary>
    private const int M = 0;

    // The paper's Table 1, by column: A (11 weight layers), B (13), D (16), E (19). Configuration C
    // (D with 1×1 convolutions in the last three stages) has no torchvision model.
    private static readonly int[] ConfigA = [64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M];
    private static readonly int[] ConfigB = [64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M];
    private static readonly int[] ConfigD = [64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M];
    private static readonly int[] ConfigE = [64, 64, M, 128, 128, M, 256, 256, 256, 256, M, 512, 512, 512, 512, M, 512, 512, 512, 512, M];

    private const double DropoutRate = 0.5;
    private const long PooledSize = 7;

    private readonly Sequential features;
    private readonly AdaptiveAvgPool2d avgpool;
    private Sequential classifier;

    private Vgg(int[] config, bool batchNorm, ModelOptions options) : base(nameof(Vgg))
    {
        if (config.Any(v => v < 0) || !config.Any(v => v > 0))
            throw new ArgumentException($"a VGG configuration lists convolution widths and pools ({M}), not [{string.Join(", ", config)}]", nameof(config));
        if (options.NumClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.NumClasses, $"VGG needs at least one class, not {options.NumClasses}");
        if (options.InChannels < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.InChannels, $"VGG needs at least one input channel, not {options.InChannels}");

        // One flat Sequential numbered as torchvision numbers it, pools and ReLUs included, so the
        // convolutions land on its keys (features.0, features.3, ... or features.0, features.4, ... with batch norm).
        var layers = new List<Module<Tensor, Tensor>>();
        long channels = options.InChannels;
        foreach (int width in config)
        {
            if (width == M)
            {
                layers.Add(MaxPool2d(kernel_size: 2, stride: 2));
                continue;
            }
            layers.Add(Conv2d(channels, width, kernel_size: 3, padding: 1));
            if (batchNorm) layers.Add(new BatchNorm2d(width));
            layers.Add(ReLU(inplace: true));
            channels = width;
        }
        features = Sequential(layers.Select((layer, i) => ($"{i}", layer)));
        avgpool = AdaptiveAvgPool2d(new[] { PooledSize, PooledSize });
        classifier = Sequential(
            ("0", Linear(channels * PooledSize * PooledSize, 4096)),
            ("1", ReLU(inplace: true)),
            ("2", Dropout(DropoutRate)),
            ("3", Linear(4096, 4096)),
            ("4", ReLU(inplace: true)),
            ("5", Dropout(DropoutRate)),
            ("6", Linear(4096, options.NumClasses)));
        RegisterComponents();

        // Every convolution comes before the first linear layer, so the two passes draw in the same order as one.
        Initialization.HeNormalFanOut(this);
        foreach (var linear in modules().OfType<Linear>())
            InitLinear(linear);
    }

    // The paper draws fully connected weights from a zero-mean normal with small spread; torchvision's
    // is 0.01, and ResetClassifier starts a new last layer the same way.
    private static Linear InitLinear(Linear linear)
    {
        init.normal_(linear.weight, 0, 0.01);
        init.zeros_(linear.bias);
        return linear;
    }

    private Linear LastLayer => (Linear)classifier.named_children().Last().module;

    public override int NumClasses => (int)LastLayer.out_features;

    public override Tensor ForwardFeatures(Tensor images) => features.call(images);

    public override Tensor ForwardHead(Tensor features)
    {
        using var scope = NewDisposeScope();
        var x = avgpool.call(features).flatten(1);
        return classifier.call(x).MoveToOuterDisposeScope();
    }

    protected override void ReplaceClassifier(int numClasses)
    {
        classifier = ReplaceLinearIn(nameof(classifier), classifier, classifier.named_children().Last().name, numClasses,
            (inFeatures, classes) => InitLinear(Linear(inFeatures, classes)));
    }

    private const string VggPaper = "Simonyan and Zisserman, Very Deep Convolutional Networks for Large-Scale Image Recognition, ICLR 2015";

    [ZooModel("vgg11", Family = "VGG", Paper = VggPaper, Input = "3x224x224", Parameters = 132_863_336, Macs = 7_609_090_048)]
    public static ImageClassifier Vgg11(ModelOptions o) => new Vgg(ConfigA, batchNorm: false, o);

    [ZooModel("vgg11_bn", Family = "VGG", Paper = VggPaper, Input = "3x224x224", Parameters = 132_868_840, Macs = 7_609_090_048)]
    public static ImageClassifier Vgg11Bn(ModelOptions o) => new Vgg(ConfigA, batchNorm: true, o);

    [ZooModel("vgg13", Family = "VGG", Paper = VggPaper, Input = "3x224x224", Parameters = 133_047_848, Macs = 11_308_466_176)]
    public static ImageClassifier Vgg13(ModelOptions o) => new Vgg(ConfigB, batchNorm: false, o);

    [ZooModel("vgg13_bn", Family = "VGG", Paper = VggPaper, Input = "3x224x224", Parameters = 133_053_736, Macs = 11_308_466_176)]
    public static ImageClassifier Vgg13Bn(ModelOptions o) => new Vgg(ConfigB, batchNorm: true, o);

    [ZooModel("vgg16", Family = "VGG", Paper = VggPaper, Input = "3x224x224", Parameters = 138_357_544, Macs = 15_470_264_320)]
    public static ImageClassifier Vgg16(ModelOptions o) => new Vgg(ConfigD, batchNorm: false, o);

    [ZooModel("vgg16_bn", Family = "VGG", Paper = VggPaper, Input = "3x224x224", Parameters = 138_365_992, Macs = 15_470_264_320)]
    public static ImageClassifier Vgg16Bn(ModelOptions o) => new Vgg(ConfigD, batchNorm: true, o);

    [ZooModel("vgg19", Family = "VGG", Paper = VggPaper, Input = "3x224x224", Parameters = 143_667_240, Macs = 19_632_062_464)]
    public static ImageClassifier Vgg19(ModelOptions o) => new Vgg(ConfigE, batchNorm: false, o);

    [ZooModel("vgg19_bn", Family = "VGG", Paper = VggPaper, Input = "3x224x224", Parameters = 143_678_248, Macs = 19_632_062_464)]
    public static ImageClassifier Vgg19Bn(ModelOptions o) => new Vgg(ConfigE, batchNorm: true, o);
}
