using VisionLab.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using VisionLab.Models.Blocks;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models;

/// <summary>
/// ResNet — He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", CVPR 2016 —
/// with the variants built on it: ResNeXt (Xie et al., "Aggregated Residual Transformations for
/// Deep Neural Networks", CVPR 2017: grouped 3×3 convolutions) and Wide ResNet (Zagoruyko and
/// Komodakis, "Wide Residual Networks", BMVC 2016: wider bottlenecks). Layer names, shapes and
/// initialisation follow torchvision, whose weights therefore load unchanged. As in torchvision
/// (the "ResNet v1.5" variant), a bottleneck downsamples in its 3×3 convolution, not its first 1×1.
/// </summary>
public sealed class ResNet : ImageClassifier, IAdaptsToSmallInput
{
    /// <summary>Two 3×3 convolutions around an identity shortcut (ResNet-18/34).</summary>
    public sealed class BasicBlock : Module<Tensor, Tensor>, IHasChannelGroups
    {
        public const int Expansion = 1;
        private readonly Conv2d conv1;
        private readonly BatchNorm2d bn1;
        private readonly Conv2d conv2;
        private readonly BatchNorm2d bn2;
        private readonly Module<Tensor, Tensor>? downsample;

        public BasicBlock(long inPlanes, long planes, long stride, Module<Tensor, Tensor>? downsample, long groups, long baseWidth)
            : base(nameof(BasicBlock))
        {
            if (groups != 1 || baseWidth != 64)
                throw new ArgumentException($"a basic block supports only groups=1 and base width 64, not groups={groups}, width={baseWidth}");
            conv1 = Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
            bn1 = new BatchNorm2d(planes);
            conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
            bn2 = new BatchNorm2d(planes);
            this.downsample = downsample;
            RegisterComponents();
        }

        /// <summary>The maps between the two convolutions; the second's output joins the shortcut.</summary>
        public IEnumerable<ChannelGroup> ChannelGroups => [new(conv1, bn1, [], conv2)];

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var y = GuidedRelu.Relu(bn1.call(conv1.call(x)));
            y = bn2.call(conv2.call(y));
            y = y.PlusInPlace(downsample is null ? x : downsample.call(x));
            return GuidedRelu.ReluInPlace(y).MoveToOuterDisposeScope();
        }
    }

    /// <summary>1×1 reduce, 3×3 (grouped for ResNeXt), 1×1 expand by 4 (ResNet-50 and deeper).</summary>
    public sealed class Bottleneck : Module<Tensor, Tensor>, IHasChannelGroups
    {
        public const int Expansion = 4;
        private readonly Conv2d conv1;
        private readonly BatchNorm2d bn1;
        private readonly Conv2d conv2;
        private readonly BatchNorm2d bn2;
        private readonly Conv2d conv3;
        private readonly BatchNorm2d bn3;
        private readonly Module<Tensor, Tensor>? downsample;

        public Bottleneck(long inPlanes, long planes, long stride, Module<Tensor, Tensor>? downsample, long groups, long baseWidth)
            : base(nameof(Bottleneck))
        {
            long width = (long)(planes * (baseWidth / 64.0)) * groups;
            conv1 = Conv2d(inPlanes, width, 1, bias: false);
            bn1 = new BatchNorm2d(width);
            conv2 = Conv2d(width, width, 3, stride: stride, padding: 1, groups: groups, bias: false);
            bn2 = new BatchNorm2d(width);
            conv3 = Conv2d(width, planes * Expansion, 1, bias: false);
            bn3 = new BatchNorm2d(planes * Expansion);
            this.downsample = downsample;
            RegisterComponents();
        }

        /// <summary>The reduced maps on both sides of the 3×3 convolution; a grouped one (ResNeXt)
        /// ties its input to its output channels, so only its output side is free then.</summary>
        public IEnumerable<ChannelGroup> ChannelGroups => conv2.groups == 1
            ? [new(conv1, bn1, [], conv2), new(conv2, bn2, [], conv3)]
            : [];

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var y = GuidedRelu.Relu(bn1.call(conv1.call(x)));
            y = GuidedRelu.Relu(bn2.call(conv2.call(y)));
            y = bn3.call(conv3.call(y));
            y = y.PlusInPlace(downsample is null ? x : downsample.call(x));
            return GuidedRelu.ReluInPlace(y).MoveToOuterDisposeScope();
        }
    }

    private delegate Module<Tensor, Tensor> BlockFactory(long inPlanes, long planes, long stride,
        Module<Tensor, Tensor>? downsample, long groups, long baseWidth);

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly bool stemPool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private Linear fc;

    private ResNet(bool bottleneck, int[] layers, ModelOptions options, long groups = 1, long widthPerGroup = 64)
        : base(nameof(ResNet))
    {
        if (layers.Length != 4 || layers.Any(n => n < 1))
            throw new ArgumentException($"ResNet takes four stages of at least one block, not [{string.Join(", ", layers)}]");
        int expansion = bottleneck ? Bottleneck.Expansion : BasicBlock.Expansion;
        BlockFactory block = bottleneck
            ? (i, p, s, d, g, w) => new Bottleneck(i, p, s, d, g, w)
            : (i, p, s, d, g, w) => new BasicBlock(i, p, s, d, g, w);

        // Stem: a 7×7 stride-2 convolution and a 3×3 stride-2 max pool, a quarter of the input size.
        conv1 = Conv2d(options.InChannels, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = new BatchNorm2d(64);
        stemPool = !options.SmallInput;
        long inPlanes = 64;
        Sequential Stage(long planes, int blocks, long stride)
        {
            Module<Tensor, Tensor>? downsample = null;
            if (stride != 1 || inPlanes != planes * expansion)
                downsample = Sequential(("0", Conv2d(inPlanes, planes * expansion, 1, stride: stride, bias: false)),
                                        ("1", new BatchNorm2d(planes * expansion)));
            var stage = new List<(string, Module<Tensor, Tensor>)> { ("0", block(inPlanes, planes, stride, downsample, groups, widthPerGroup)) };
            inPlanes = planes * expansion;
            for (int i = 1; i < blocks; i++)
                stage.Add(($"{i}", block(inPlanes, planes, 1, null, groups, widthPerGroup)));
            return Sequential(stage);
        }
        layer1 = Stage(64, layers[0], 1);
        layer2 = Stage(128, layers[1], 2);
        layer3 = Stage(256, layers[2], 2);
        layer4 = Stage(512, layers[3], 2);
        fc = Linear(512 * expansion, options.NumClasses);
        RegisterComponents();

        Initialization.HeNormalFanOut(this);
    }

    public override int NumClasses => (int)fc.out_features;

    public override Tensor ForwardFeatures(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = GuidedRelu.Relu(bn1.call(conv1.call(images)));
        if (stemPool) x = functional.max_pool2d(x, 3, 2, 1);
        x = layer4.call(layer3.call(layer2.call(layer1.call(x))));
        return x.MoveToOuterDisposeScope();
    }

    public override Tensor ForwardHead(Tensor features) => ClassifyPooled(features, fc);

    protected override void ReplaceClassifier(int numClasses)
        => fc = ReplaceLinear(nameof(fc), fc, numClasses);

    private const string ResNetPaper = "He et al., Deep Residual Learning for Image Recognition, CVPR 2016";
    private const string ResNeXtPaper = "Xie et al., Aggregated Residual Transformations for Deep Neural Networks, CVPR 2017";
    private const string WidePaper = "Zagoruyko and Komodakis, Wide Residual Networks, BMVC 2016";

    [ZooModel("resnet18", Family = "ResNet", Paper = ResNetPaper, Input = "3x224x224", Parameters = 11_689_512, Macs = 1_814_073_344)]
    public static ImageClassifier ResNet18(ModelOptions o) => new ResNet(false, [2, 2, 2, 2], o);

    [ZooModel("resnet34", Family = "ResNet", Paper = ResNetPaper, Input = "3x224x224", Parameters = 21_797_672, Macs = 3_663_761_408)]
    public static ImageClassifier ResNet34(ModelOptions o) => new ResNet(false, [3, 4, 6, 3], o);

    [ZooModel("resnet50", Family = "ResNet", Paper = ResNetPaper, Input = "3x224x224", Parameters = 25_557_032, Macs = 4_089_184_256)]
    public static ImageClassifier ResNet50(ModelOptions o) => new ResNet(true, [3, 4, 6, 3], o);

    [ZooModel("resnet101", Family = "ResNet", Paper = ResNetPaper, Input = "3x224x224", Parameters = 44_549_160, Macs = 7_801_405_440)]
    public static ImageClassifier ResNet101(ModelOptions o) => new ResNet(true, [3, 4, 23, 3], o);

    [ZooModel("resnet152", Family = "ResNet", Paper = ResNetPaper, Input = "3x224x224", Parameters = 60_192_808, Macs = 11_513_626_624)]
    public static ImageClassifier ResNet152(ModelOptions o) => new ResNet(true, [3, 8, 36, 3], o);

    [ZooModel("resnext50_32x4d", Family = "ResNeXt", Paper = ResNeXtPaper, Input = "3x224x224", Parameters = 25_028_904, Macs = 4_230_479_872)]
    public static ImageClassifier ResNeXt50_32x4d(ModelOptions o) => new ResNet(true, [3, 4, 6, 3], o, groups: 32, widthPerGroup: 4);

    [ZooModel("resnext101_32x8d", Family = "ResNeXt", Paper = ResNeXtPaper, Input = "3x224x224", Parameters = 88_791_336, Macs = 16_414_015_488)]
    public static ImageClassifier ResNeXt101_32x8d(ModelOptions o) => new ResNet(true, [3, 4, 23, 3], o, groups: 32, widthPerGroup: 8);

    [ZooModel("resnext101_64x4d", Family = "ResNeXt", Paper = ResNeXtPaper, Input = "3x224x224", Parameters = 83_455_272, Macs = 15_460_270_080)]
    public static ImageClassifier ResNeXt101_64x4d(ModelOptions o) => new ResNet(true, [3, 4, 23, 3], o, groups: 64, widthPerGroup: 4);

    [ZooModel("wide_resnet50_2", Family = "Wide ResNet", Paper = WidePaper, Input = "3x224x224", Parameters = 68_883_240, Macs = 11_398_021_120)]
    public static ImageClassifier WideResNet50_2(ModelOptions o) => new ResNet(true, [3, 4, 6, 3], o, widthPerGroup: 128);

    [ZooModel("wide_resnet101_2", Family = "Wide ResNet", Paper = WidePaper, Input = "3x224x224", Parameters = 126_886_696, Macs = 22_753_050_624)]
    public static ImageClassifier WideResNet101_2(ModelOptions o) => new ResNet(true, [3, 4, 23, 3], o, widthPerGroup: 128);
}
