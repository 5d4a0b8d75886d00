using TorchSharp;
using TorchSharp.Modules;
using VisionLab.Models.Blocks;
using VisionLab.Runtime;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models;

/// <summary>
/// MobileNet V3 — Howard, Sandler, Chu, Chen, Chen, Tan, Wang, Zhu, Pang, Vasudevan, Le, Adam,
/// "Searching for MobileNetV3", ICCV 2019. MobileNet V2's inverted residual blocks, arranged by a
/// platform-aware architecture search and refined by hand: some blocks gain squeeze-and-excitation,
/// the deeper half swaps ReLU for hard-swish (x · ReLU6(x + 3) / 6, a swish that is cheap on phones),
/// and the expensive last stage is slimmed by pooling before the final 1×1 layers. "Large" and
/// "Small" target high- and low-resource phones. Names, shapes and initialisation follow torchvision,
/// whose weights therefore load unchanged; like torchvision, the squeeze width is a quarter of the
/// expanded width rounded to a multiple of 8, and the head's 1×1 convolutions on the pooled vector are
/// fully connected layers.
/// </summary>
public sealed class MobileNetV3 : ImageClassifier, IAdaptsToSmallInput
{
    /// <summary>One row of the paper's tables: a bottleneck block and the widths around it.</summary>
    /// <param name="Kernel">Size of the depthwise filter.</param>
    /// <param name="Expanded">Width of the expanded (depthwise) representation.</param>
    /// <param name="SqueezeExcite">Whether the block rescales its expanded channels by squeeze-and-excitation.</param>
    /// <param name="HardSwish">Hard-swish activations (the paper's HS) instead of ReLU (RE).</param>
    public sealed record Bneck(long InChannels, long Kernel, long Expanded, long OutChannels, bool SqueezeExcite, bool HardSwish, long Stride);

    /// <summary>
    /// Expand with a 1×1 convolution (skipped when the table gives no expansion), filter with a
    /// depthwise k×k convolution, optionally squeeze-and-excite, project linearly with a 1×1
    /// convolution; add the input when the shapes agree.
    /// </summary>
    public sealed class InvertedResidual : Module<Tensor, Tensor>
    {
        private readonly Sequential block;
        private readonly bool residual;

        public InvertedResidual(Bneck b) : base(nameof(InvertedResidual))
        {
            if (b.Stride is not (1 or 2))
                throw new ArgumentException($"a bottleneck has stride 1 or 2, not {b.Stride}", nameof(b));
            if (b.Kernel < 1 || b.Kernel % 2 == 0)
                throw new ArgumentException($"a bottleneck's depthwise kernel has odd size, not {b.Kernel}", nameof(b));
            if (b.InChannels < 1 || b.Expanded < 1 || b.OutChannels < 1)
                throw new ArgumentException($"a bottleneck needs positive widths, not {b.InChannels} → {b.Expanded} → {b.OutChannels}", nameof(b));
            residual = b.Stride == 1 && b.InChannels == b.OutChannels;
            var activation = b.HardSwish ? Activation.Hardswish : Activation.ReLU;

            var layers = new List<Module<Tensor, Tensor>>();
            if (b.Expanded != b.InChannels)
                layers.Add(ConvNormActivation.Create(b.InChannels, b.Expanded, kernelSize: 1, activation: activation, normEps: NormEps, normMomentum: NormMomentum));
            layers.Add(ConvNormActivation.Create(b.Expanded, b.Expanded, kernelSize: b.Kernel, stride: b.Stride, groups: b.Expanded,
                activation: activation, normEps: NormEps, normMomentum: NormMomentum));
            if (b.SqueezeExcite)
                layers.Add(new SqueezeExcitation(b.Expanded, Channels.MakeDivisible(b.Expanded / 4, 8), Activation.ReLU, hardGate: true));
            layers.Add(ConvNormActivation.Create(b.Expanded, b.OutChannels, kernelSize: 1, activation: Activation.None, normEps: NormEps, normMomentum: NormMomentum));
            block = Sequential(layers.Select((layer, i) => ($"{i}", layer)));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            if (!residual) return block.call(x);
            using var scope = NewDisposeScope();
            return block.call(x).PlusInPlace(x).MoveToOuterDisposeScope();
        }
    }

    // Batch norm as the TensorFlow reference trains it: eps 0.001 and slowly moving statistics.
    private const double NormEps = 1e-3;
    private const double NormMomentum = 0.01;
    private const double DropoutRate = 0.2;
    /// <summary>The last convolution widens the last bottleneck's output six times.</summary>
    private const long LastConvExpansion = 6;

    // The paper's Table 1 (Large), one row per bottleneck: in, kernel, expanded, out, SE, HS, stride.
    private static readonly Bneck[] Large =
    [
        new(16, 3, 16, 16, false, false, 1),
        new(16, 3, 64, 24, false, false, 2),
        new(24, 3, 72, 24, false, false, 1),
        new(24, 5, 72, 40, true, false, 2),
        new(40, 5, 120, 40, true, false, 1),
        new(40, 5, 120, 40, true, false, 1),
        new(40, 3, 240, 80, false, true, 2),
        new(80, 3, 200, 80, false, true, 1),
        new(80, 3, 184, 80, false, true, 1),
        new(80, 3, 184, 80, false, true, 1),
        new(80, 3, 480, 112, true, true, 1),
        new(112, 3, 672, 112, true, true, 1),
        new(112, 5, 672, 160, true, true, 2),
        new(160, 5, 960, 160, true, true, 1),
        new(160, 5, 960, 160, true, true, 1),
    ];

    // The paper's Table 2 (Small).
    private static readonly Bneck[] Small =
    [
        new(16, 3, 16, 16, true, false, 2),
        new(16, 3, 72, 24, false, false, 2),
        new(24, 3, 88, 24, false, false, 1),
        new(24, 5, 96, 40, true, true, 2),
        new(40, 5, 240, 40, true, true, 1),
        new(40, 5, 240, 40, true, true, 1),
        new(40, 5, 120, 48, true, true, 1),
        new(48, 5, 144, 48, true, true, 1),
        new(48, 5, 288, 96, true, true, 2),
        new(96, 5, 576, 96, true, true, 1),
        new(96, 5, 576, 96, true, true, 1),
    ];

    private readonly Sequential features;
    private Sequential classifier;

    /// <param name="bnecks">The bottlenecks in order; each one's input width is the previous one's output.</param>
    /// <param name="headChannels">Width of the fully connected layer before the classifier (1280 Large, 1024 Small).</param>
    private MobileNetV3(Bneck[] bnecks, long headChannels, ModelOptions options) : base(nameof(MobileNetV3))
    {
        if (bnecks.Length == 0)
            throw new ArgumentException("MobileNet V3 needs at least one bottleneck", nameof(bnecks));
        for (int i = 1; i < bnecks.Length; i++)
        {
            if (bnecks[i].InChannels != bnecks[i - 1].OutChannels)
                throw new ArgumentException($"bottleneck {i} takes {bnecks[i].InChannels} channels but bottleneck {i - 1} gives {bnecks[i - 1].OutChannels}", nameof(bnecks));
        }
        if (headChannels < 1)
            throw new ArgumentOutOfRangeException(nameof(headChannels), headChannels, $"the head needs at least one channel, not {headChannels}");
        if (options.NumClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.NumClasses, $"MobileNet V3 needs at least one class, not {options.NumClasses}");
        if (options.InChannels < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.InChannels, $"MobileNet V3 needs at least one input channel, not {options.InChannels}");

        var layers = new List<Module<Tensor, Tensor>>
        {
            ConvNormActivation.Create(options.InChannels, bnecks[0].InChannels, kernelSize: 3, stride: options.SmallInput ? 1 : 2,
                activation: Activation.Hardswish, normEps: NormEps, normMomentum: NormMomentum),
        };
        layers.AddRange(bnecks.Select(b => new InvertedResidual(b)));
        long lastConvChannels = LastConvExpansion * bnecks[^1].OutChannels;
        layers.Add(ConvNormActivation.Create(bnecks[^1].OutChannels, lastConvChannels, kernelSize: 1,
            activation: Activation.Hardswish, normEps: NormEps, normMomentum: NormMomentum));
        features = Sequential(layers.Select((layer, i) => ($"{i}", layer)));

        // The paper's 1×1 convolutions without batch norm on the pooled vector: fully connected layers.
        classifier = Sequential(
            ("0", InitLinear(Linear(lastConvChannels, headChannels))),
            ("1", Hardswish(inplace: true)),
            ("2", Dropout(DropoutRate, inplace: true)),
            (LastLayerName, InitLinear(Linear(headChannels, options.NumClasses))));
        RegisterComponents();

        Initialization.HeNormalFanOut(this);
    }

    /// <summary>Small weights so the first outputs are near zero, as torchvision starts both fully connected layers.</summary>
    private static Linear InitLinear(Linear linear)
    {
        init.normal_(linear.weight, 0, 0.01);
        init.zeros_(linear.bias);
        return linear;
    }

    private const string LastLayerName = "3";

    private Linear LastLayer => LinearIn(classifier, LastLayerName);

    public override int NumClasses => (int)LastLayer.out_features;

    public override Tensor ForwardFeatures(Tensor images) => features.call(images);

    public override Tensor ForwardHead(Tensor features) => ClassifyPooled(features, classifier);

    protected override void ReplaceClassifier(int numClasses)
    {
        classifier = ReplaceLinearIn(nameof(classifier), classifier, LastLayerName, numClasses,
            (inFeatures, classes) => InitLinear(Linear(inFeatures, classes)));
    }

    private const string Paper = "Howard et al., Searching for MobileNetV3, ICCV 2019";

    [ZooModel("mobilenet_v3_large", Family = "MobileNet", Paper = Paper, Input = "3x224x224", Parameters = 5_483_032, Macs = 216_589_760)]
    public static ImageClassifier MobileNetV3Large(ModelOptions o) => new MobileNetV3(Large, 1280, o);

    [ZooModel("mobilenet_v3_small", Family = "MobileNet", Paper = Paper, Input = "3x224x224", Parameters = 2_542_856, Macs = 56_510_400)]
    public static ImageClassifier MobileNetV3Small(ModelOptions o) => new MobileNetV3(Small, 1024, o);
}
