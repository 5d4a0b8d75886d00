using TorchSharp;
using TorchSharp.Modules;
using VisionLab.Models.Blocks;
using VisionLab.Runtime;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models;

/// <summary>
/// MNASNet — Tan, Chen, Pang, Vasudevan, Sandler, Howard, Le, "MnasNet: Platform-Aware Neural
/// Architecture Search for Mobile", CVPR 2019. A reinforcement-learning search that rewards accuracy
/// and penalises latency measured on a real phone, over a space where each stage may pick its own
/// block (kernel 3 or 5, expansion 3 or 6, repeats), found this stack of MobileNet V2 inverted
/// residuals. This is the B1 network of the authors' reference code (no squeeze-and-excitation), as
/// torchvision builds it; the depth multiplier α scales every width, the stem included, rounded to multiples of 8, and
/// leaves the 1280-wide last convolution alone. Names, shapes and initialisation follow torchvision,
/// whose weights therefore load unchanged.
/// </summary>
public sealed class MnasNet : ImageClassifier
{
    /// <summary>
    /// The MBConv block: 1×1 expansion by the factor, depthwise k×k (which does any downsampling),
    /// linear 1×1 projection, and the input added when the shapes agree. Unlike MobileNet V2's block
    /// it expands even by a factor of 1 and uses ReLU, not ReLU6.
    /// </summary>
    public sealed class InvertedResidual : Module<Tensor, Tensor>
    {
        private readonly Sequential layers;
        private readonly bool residual;

        public InvertedResidual(long inChannels, long outChannels, long kernelSize, long stride, long expansion) : base(nameof(InvertedResidual))
        {
            if (stride is not (1 or 2))
                throw new ArgumentException($"an MBConv block has stride 1 or 2, not {stride}", nameof(stride));
            if (kernelSize is not (3 or 5))
                throw new ArgumentException($"an MBConv block's depthwise kernel is 3 or 5, not {kernelSize}", nameof(kernelSize));
            if (inChannels < 1 || outChannels < 1 || expansion < 1)
                throw new ArgumentException($"an MBConv block needs positive widths and expansion, not {inChannels} → {outChannels} expanded {expansion}×");
            long mid = inChannels * expansion;
            residual = stride == 1 && inChannels == outChannels;
            layers = Sequential(
                ("0", Conv2d(inChannels, mid, 1, bias: false)),
                ("1", Norm(mid)),
                ("2", ReLU(inplace: true)),
                ("3", new DepthwiseConv2d(mid, mid, kernelSize, stride, kernelSize / 2, bias: false)),
                ("4", Norm(mid)),
                ("5", ReLU(inplace: true)),
                ("6", Conv2d(mid, outChannels, 1, bias: false)),
                ("7", Norm(outChannels)));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            if (!residual) return layers.call(x);
            using var scope = NewDisposeScope();
            return layers.call(x).PlusInPlace(x).MoveToOuterDisposeScope();
        }
    }

    /// <summary>
    /// Batch norm with TensorFlow's decay of 0.9997 (PyTorch's momentum is one minus the decay): the
    /// running statistics move slowly, as in the reference training.
    /// </summary>
    private static BatchNorm2d Norm(long channels) => new BatchNorm2d(channels, momentum: 1 - 0.9997);

    /// <summary>A stage: <paramref name="repeats"/> blocks, the first changing width and stride.</summary>
    private static Sequential Stage(long inChannels, long outChannels, long kernelSize, long stride, long expansion, int repeats)
    {
        if (repeats < 1) throw new ArgumentOutOfRangeException(nameof(repeats), repeats, $"a stage repeats its block at least once, not {repeats} times");
        var blocks = new List<(string, Module<Tensor, Tensor>)> { ("0", new InvertedResidual(inChannels, outChannels, kernelSize, stride, expansion)) };
        for (int i = 1; i < repeats; i++)
            blocks.Add(($"{i}", new InvertedResidual(outChannels, outChannels, kernelSize, 1, expansion)));
        return Sequential(blocks);
    }

    // Widths at α = 1 of the stem, the separable convolution and the six stages.
    private static readonly long[] Widths = [32, 16, 24, 40, 80, 96, 192, 320];
    private const long LastChannels = 1280;
    private const double DropoutRate = 0.2;

    private readonly Sequential layers;
    private Sequential classifier;

    /// <param name="alpha">Depth multiplier: every width but the last convolution's is scaled by it.</param>
    private MnasNet(double alpha, ModelOptions options) : base(nameof(MnasNet))
    {
        if (!(alpha > 0))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"MNASNet's depth multiplier must be positive, not {alpha}");
        if (options.NumClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.NumClasses, $"MNASNet needs at least one class, not {options.NumClasses}");
        if (options.InChannels < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.InChannels, $"MNASNet needs at least one input channel, not {options.InChannels}");

        var d = Widths.Select(w => Channels.MakeDivisible(w * alpha, 8)).ToArray();
        // One flat Sequential numbered as torchvision numbers it: the stem convolution, a separable
        // convolution with a linear pointwise part (layers.0 to layers.7), the six MBConv stages
        // (layers.8 to layers.13), the last 1×1 convolution (layers.14 to layers.16).
        layers = Sequential(
            ("0", Conv2d(options.InChannels, d[0], 3, stride: 2, padding: 1, bias: false)),
            ("1", Norm(d[0])),
            ("2", ReLU(inplace: true)),
            ("3", new DepthwiseConv2d(d[0], d[0], 3, padding: 1, bias: false)),
            ("4", Norm(d[0])),
            ("5", ReLU(inplace: true)),
            ("6", Conv2d(d[0], d[1], 1, bias: false)),
            ("7", Norm(d[1])),
            // Kernel, stride, expansion, repeats of each stage: MBConv3 3×3 ×3, MBConv3 5×5 ×3,
            // MBConv6 5×5 ×3, MBConv6 3×3 ×2, MBConv6 5×5 ×4, MBConv6 3×3 ×1.
            ("8", Stage(d[1], d[2], 3, 2, 3, 3)),
            ("9", Stage(d[2], d[3], 5, 2, 3, 3)),
            ("10", Stage(d[3], d[4], 5, 2, 6, 3)),
            ("11", Stage(d[4], d[5], 3, 1, 6, 2)),
            ("12", Stage(d[5], d[6], 5, 2, 6, 4)),
            ("13", Stage(d[6], d[7], 3, 1, 6, 1)),
            ("14", Conv2d(d[7], LastChannels, 1, bias: false)),
            ("15", Norm(LastChannels)),
            ("16", ReLU(inplace: true)));
        classifier = Sequential(("0", Dropout(DropoutRate, inplace: true)), (LastLayerName, NewLastLayer(LastChannels, options.NumClasses)));
        RegisterComponents();

        Initialization.HeNormalFanOut(this);
    }

    /// <summary>torchvision's choice for the classifier: He-uniform over the outputs with the sigmoid's gain of 1.</summary>
    private static Linear NewLastLayer(long inFeatures, long numClasses)
    {
        var linear = Linear(inFeatures, numClasses);
        init.kaiming_uniform_(linear.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.Sigmoid);
        init.zeros_(linear.bias);
        return linear;
    }

    private const string LastLayerName = "1";

    private Linear LastLayer => LinearIn(classifier, LastLayerName);

    public override int NumClasses => (int)LastLayer.out_features;

    public override Tensor ForwardFeatures(Tensor images) => layers.call(images);

    public override Tensor ForwardHead(Tensor features)
    {
        using var pooled = features.mean([2, 3]);
        return classifier.call(pooled);
    }

    protected override void ReplaceClassifier(int numClasses)
    {
        classifier = ReplaceLinearIn(nameof(classifier), classifier, LastLayerName, numClasses, NewLastLayer);
    }

    private const string Paper = "Tan et al., MnasNet: Platform-Aware Neural Architecture Search for Mobile, CVPR 2019";

    [ZooModel("mnasnet0_5", Family = "MNASNet", Paper = Paper, Input = "3x224x224", Parameters = 2_218_512, Macs = 104_455_968)]
    public static ImageClassifier MnasNet0_5(ModelOptions o) => new MnasNet(0.5, o);

    [ZooModel("mnasnet0_75", Family = "MNASNet", Paper = Paper, Input = "3x224x224", Parameters = 3_170_208, Macs = 215_493_104)]
    public static ImageClassifier MnasNet0_75(ModelOptions o) => new MnasNet(0.75, o);

    [ZooModel("mnasnet1_0", Family = "MNASNet", Paper = Paper, Input = "3x224x224", Parameters = 4_383_312, Macs = 314_415_872)]
    public static ImageClassifier MnasNet1_0(ModelOptions o) => new MnasNet(1.0, o);

    [ZooModel("mnasnet1_3", Family = "MNASNet", Paper = Paper, Input = "3x224x224", Parameters = 6_282_256, Macs = 526_362_432)]
    public static ImageClassifier MnasNet1_3(ModelOptions o) => new MnasNet(1.3, o);
}
