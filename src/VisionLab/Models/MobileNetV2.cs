using TorchSharp;
using TorchSharp.Modules;
using VisionLab.Models.Blocks;
using VisionLab.Runtime;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models;

/// <summary>
/// MobileNet V2 — Sandler, Howard, Zhu, Zhmoginov, Chen, "MobileNetV2: Inverted Residuals and
/// Linear Bottlenecks", CVPR 2018. Depthwise-separable convolutions (one 3×3 filter per channel, then
/// a 1×1 mix) cost a fraction of full convolutions; the inverted residual block runs them on an
/// expanded, ReLU6-activated representation between two narrow bottlenecks, and the shortcut joins
/// the bottlenecks. The projection back to the bottleneck has no activation, because a ReLU in a
/// low-dimensional space destroys information the paper shows the network needs. Names, shapes and
/// initialisation follow torchvision, whose weights therefore load unchanged.
/// </summary>
public sealed class MobileNetV2 : ImageClassifier, IAdaptsToSmallInput
{
    /// <summary>
    /// Expand with a 1×1 convolution by <c>expandRatio</c>, filter each channel with a 3×3 depthwise
    /// convolution (which does any downsampling), project linearly to <c>outChannels</c> with a 1×1
    /// convolution; add the input when the shapes agree. Blocks that do not expand (ratio 1) skip the
    /// first convolution, so their layers are numbered from the depthwise one.
    /// </summary>
    public sealed class InvertedResidual : Module<Tensor, Tensor>, IHasChannelGroups
    {
        private readonly Sequential conv;
        private readonly bool residual;

        public InvertedResidual(long inChannels, long outChannels, long stride, long expandRatio) : base(nameof(InvertedResidual))
        {
            if (stride is not (1 or 2))
                throw new ArgumentException($"an inverted residual block has stride 1 or 2, not {stride}", nameof(stride));
            if (inChannels < 1 || outChannels < 1 || expandRatio < 1)
                throw new ArgumentException($"an inverted residual block needs positive widths and expansion, not {inChannels} → {outChannels} " +
                                            $"expanded {expandRatio}×");
            long hidden = inChannels * expandRatio;
            residual = stride == 1 && inChannels == outChannels;

            var layers = new List<Module<Tensor, Tensor>>();
            if (expandRatio != 1)
                layers.Add(ConvNormActivation.Create(inChannels, hidden, kernelSize: 1, activation: Activation.ReLU6));
            layers.Add(ConvNormActivation.Create(hidden, hidden, kernelSize: 3, stride: stride, groups: hidden, activation: Activation.ReLU6));
            layers.Add(Conv2d(hidden, outChannels, 1, bias: false));
            layers.Add(new BatchNorm2d(outChannels));
            conv = Sequential(layers.Select((layer, i) => ($"{i}", layer)));
            RegisterComponents();
        }

        /// <summary>The expanded maps; a block that does not expand filters its input, which is not its own.</summary>
        public IEnumerable<ChannelGroup> ChannelGroups
        {
            get
            {
                var layers = conv.children().ToArray();
                if (layers.Length < 4) return [];
                var expand = layers[0].children().ToArray();
                var filter = layers[1].children().ToArray();
                return [new((Convolution)expand[0], (BatchNorm2d)expand[1], [((Convolution)filter[0], (BatchNorm2d)filter[1])], (Convolution)layers[2])];
            }
        }

        public override Tensor forward(Tensor x)
        {
            if (!residual) return conv.call(x);
            using var scope = NewDisposeScope();
            return conv.call(x).PlusInPlace(x).MoveToOuterDisposeScope();
        }
    }

    // The paper's Table 2, row by row after the stem: expansion t, output channels c, repeats n,
    // stride s of the first repeat.
    private static readonly (long T, long C, int N, long S)[] Bottlenecks =
    [
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ];

    private const long StemChannels = 32;
    private const long LastChannels = 1280;
    private const double DropoutRate = 0.2;

    private readonly Sequential features;
    private Sequential classifier;

    private MobileNetV2((long T, long C, int N, long S)[] bottlenecks, ModelOptions options) : base(nameof(MobileNetV2))
    {
        if (bottlenecks.Length == 0 || bottlenecks.Any(b => b.T < 1 || b.C < 1 || b.N < 1))
            throw new ArgumentException("MobileNet V2 takes at least one bottleneck row of positive t, c, n, not " +
                                        $"[{string.Join(", ", bottlenecks)}]", nameof(bottlenecks));
        if (options.NumClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.NumClasses, $"MobileNet V2 needs at least one class, not {options.NumClasses}");
        if (options.InChannels < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.InChannels, $"MobileNet V2 needs at least one input channel, not {options.InChannels}");

        var layers = new List<Module<Tensor, Tensor>>
        {
            ConvNormActivation.Create(options.InChannels, StemChannels, kernelSize: 3, stride: options.SmallInput ? 1 : 2, activation: Activation.ReLU6),
        };
        long channels = StemChannels;
        foreach (var (t, c, n, s) in bottlenecks)
        {
            for (int i = 0; i < n; i++)
            {
                layers.Add(new InvertedResidual(channels, c, i == 0 ? s : 1, t));
                channels = c;
            }
        }
        layers.Add(ConvNormActivation.Create(channels, LastChannels, kernelSize: 1, activation: Activation.ReLU6));
        features = Sequential(layers.Select((layer, i) => ($"{i}", layer)));
        classifier = Sequential(("0", Dropout(DropoutRate)), ("1", NewLastLayer(LastChannels, options.NumClasses)));
        RegisterComponents();

        Initialization.HeNormalFanOut(this);
    }

    /// <summary>Small weights so the first logits are near zero, as torchvision starts the classifier.</summary>
    private static Linear NewLastLayer(long inFeatures, long numClasses)
    {
        var linear = Linear(inFeatures, numClasses);
        init.normal_(linear.weight, 0, 0.01);
        init.zeros_(linear.bias);
        return linear;
    }

    private const string LastLayerName = "1";

    private Linear LastLayer => LinearIn(classifier, LastLayerName);

    public override int NumClasses => (int)LastLayer.out_features;

    public override Tensor ForwardFeatures(Tensor images) => features.call(images);

    public override Tensor ForwardHead(Tensor features) => ClassifyPooled(features, classifier);

    protected override void ReplaceClassifier(int numClasses)
    {
        classifier = ReplaceLinearIn(nameof(classifier), classifier, LastLayerName, numClasses, NewLastLayer);
    }

    private const string Paper = "Sandler et al., MobileNetV2: Inverted Residuals and Linear Bottlenecks, CVPR 2018";

    [ZooModel("mobilenet_v2", Family = "MobileNet", Paper = Paper, Input = "3x224x224", Parameters = 3_504_872, Macs = 300_774_272)]
    public static ImageClassifier Build(ModelOptions o) => new MobileNetV2(Bottlenecks, o);
}
