using TorchSharp;
using TorchSharp.Modules;
using VisionLab.Models.Blocks;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models;

/// <summary>
/// ShuffleNet V2 — Ma, Zhang, Zheng, Sun, "ShuffleNet V2: Practical Guidelines for Efficient CNN
/// Architecture Design", ECCV 2018. The paper designs for measured speed rather than FLOPs: equal
/// input and output widths, no grouped 1×1 convolutions, few branches, few element-wise operations.
/// Its unit splits the channels in two, leaves one half untouched, transforms the other and
/// concatenates them (no addition), then shuffles the channels so the next unit mixes both halves.
/// Names, shapes and initialisation (PyTorch's defaults) follow torchvision, whose weights
/// therefore load unchanged.
/// </summary>
public sealed class ShuffleNetV2 : ImageClassifier, IAdaptsToSmallInput
{
    /// <summary>
    /// Interleaves the channels of <paramref name="groups"/> equal groups (paper, Fig. 1c): viewed
    /// as groups × channels-per-group, transposed, flattened, so every group of the next split holds
    /// channels from every branch.
    /// </summary>
    public static Tensor ChannelShuffle(Tensor x, long groups)
    {
        long batch = x.shape[0], channels = x.shape[1], height = x.shape[2], width = x.shape[3];
        if (channels % groups != 0)
            throw new ArgumentException($"cannot shuffle {channels} channels in {groups} groups", nameof(groups));
        using var grouped = x.view(batch, groups, channels / groups, height, width);
        using var transposed = grouped.transpose(1, 2);
        using var interleaved = transposed.contiguous();
        return interleaved.view(batch, channels, height, width);
    }

    /// <summary>
    /// The ShuffleNet V2 unit (paper, Fig. 3c and 3d; torchvision's <c>InvertedResidual</c>). With
    /// stride 1 the input is split into halves: one passes through unchanged, the other through
    /// <c>branch2</c> (1×1, depthwise 3×3, 1×1). With stride 2 there is no split: both branches see
    /// the whole input and <c>branch1</c> (depthwise 3×3, 1×1) downsamples the shortcut, so the
    /// output has twice the maps of one branch. Either way the halves are concatenated and shuffled.
    /// </summary>
    public sealed class ShuffleUnit : Module<Tensor, Tensor>, IHasChannelGroups
    {
        private readonly Sequential? branch1;
        private readonly Sequential branch2;
        private readonly long stride;

        public ShuffleUnit(long inChannels, long outChannels, long stride) : base(nameof(ShuffleUnit))
        {
            if (stride is < 1 or > 3)
                throw new ArgumentOutOfRangeException(nameof(stride), stride, $"illegal stride value {stride}: a shuffle unit takes 1, 2 or 3");
            if (inChannels < 1)
                throw new ArgumentException($"a shuffle unit needs input channels, not {inChannels}", nameof(inChannels));
            if (outChannels < 2 || outChannels % 2 != 0)
                throw new ArgumentException($"a shuffle unit's output width must be even and positive, not {outChannels}", nameof(outChannels));
            long branchChannels = outChannels / 2;
            // Without downsampling, the untouched half and branch2's input are each half of the input.
            if (stride == 1 && inChannels != outChannels)
                throw new ArgumentException($"with stride 1 a shuffle unit keeps its width: input {inChannels} must equal output {outChannels}");
            this.stride = stride;

            if (stride > 1)
            {
                branch1 = Sequential(
                    ("0", Depthwise(inChannels, stride)),
                    ("1", new BatchNorm2d(inChannels)),
                    ("2", Conv2d(inChannels, branchChannels, 1, bias: false)),
                    ("3", new BatchNorm2d(branchChannels)),
                    ("4", ReLU(inplace: true)));
            }
            // The depthwise convolution has no ReLU after it (as in MobileNet V2): it would destroy
            // information in so few channels per filter.
            branch2 = Sequential(
                ("0", Conv2d(stride > 1 ? inChannels : branchChannels, branchChannels, 1, bias: false)),
                ("1", new BatchNorm2d(branchChannels)),
                ("2", ReLU(inplace: true)),
                ("3", Depthwise(branchChannels, stride)),
                ("4", new BatchNorm2d(branchChannels)),
                ("5", Conv2d(branchChannels, branchChannels, 1, bias: false)),
                ("6", new BatchNorm2d(branchChannels)),
                ("7", ReLU(inplace: true)));
            RegisterComponents();
        }

        /// <summary>branch2's maps between its two 1×1 convolutions (the output ones are shuffled into the next unit).</summary>
        public IEnumerable<ChannelGroup> ChannelGroups
        {
            get
            {
                var layers = branch2.children().ToArray();
                return [new((Convolution)layers[0], (BatchNorm2d)layers[1], [((Convolution)layers[3], (BatchNorm2d)layers[4])], (Convolution)layers[5])];
            }
        }

        private static DepthwiseConv2d Depthwise(long channels, long stride) =>
            new(channels, channels, 3, stride, padding: 1, bias: false);

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            Tensor joined;
            if (stride == 1)
            {
                var halves = x.chunk(2, 1);
                joined = cat([halves[0], branch2.call(halves[1])], 1);
            }
            else
            {
                joined = cat([branch1!.call(x), branch2.call(x)], 1);
            }
            return ChannelShuffle(joined, 2).MoveToOuterDisposeScope();
        }
    }

    private readonly Sequential conv1;
    private readonly Sequential stage2;
    private readonly Sequential stage3;
    private readonly Sequential stage4;
    private readonly Sequential conv5;
    private readonly bool stemPool;
    private Linear fc;

    /// <param name="stageRepeats">Units in stages 2, 3 and 4 (the paper's Table 5: 4, 8, 4).</param>
    /// <param name="stageChannels">Output channels of conv1, stages 2–4 and conv5.</param>
    private ShuffleNetV2(int[] stageRepeats, long[] stageChannels, ModelOptions options) : base(nameof(ShuffleNetV2))
    {
        if (stageRepeats.Length != 3 || stageRepeats.Any(n => n < 1))
            throw new ArgumentException($"ShuffleNet V2 takes three stages of at least one unit, not [{string.Join(", ", stageRepeats)}]");
        if (stageChannels.Length != 5 || stageChannels.Any(c => c < 1))
            throw new ArgumentException($"ShuffleNet V2 takes five positive widths (conv1, stages 2-4, conv5), not [{string.Join(", ", stageChannels)}]");
        if (options.NumClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.NumClasses, $"ShuffleNet V2 needs at least one class, not {options.NumClasses}");
        if (options.InChannels < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.InChannels, $"ShuffleNet V2 needs at least one input channel, not {options.InChannels}");

        // conv1 and a max pool take the input to a quarter of its size; each stage then halves it
        // in its first unit, so the network downsamples by 32 (224 → 7).
        conv1 = ConvNormActivation.Create(options.InChannels, stageChannels[0], kernelSize: 3, stride: 2, padding: 1);
        long inChannels = stageChannels[0];
        Sequential Stage(int repeats, long outChannels)
        {
            var units = new List<(string, Module<Tensor, Tensor>)> { ("0", new ShuffleUnit(inChannels, outChannels, 2)) };
            for (int i = 1; i < repeats; i++)
                units.Add(($"{i}", new ShuffleUnit(outChannels, outChannels, 1)));
            inChannels = outChannels;
            return Sequential(units);
        }
        stage2 = Stage(stageRepeats[0], stageChannels[1]);
        stage3 = Stage(stageRepeats[1], stageChannels[2]);
        stage4 = Stage(stageRepeats[2], stageChannels[3]);
        conv5 = ConvNormActivation.Create(inChannels, stageChannels[4], kernelSize: 1, padding: 0);
        fc = Linear(stageChannels[4], options.NumClasses);
        stemPool = !options.SmallInput;
        RegisterComponents();
    }

    public override int NumClasses => (int)fc.out_features;

    public override Tensor ForwardFeatures(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = conv1.call(images);
        if (stemPool) x = functional.max_pool2d(x, 3, 2, 1);
        x = stage4.call(stage3.call(stage2.call(x)));
        return conv5.call(x).MoveToOuterDisposeScope();
    }

    public override Tensor ForwardHead(Tensor features)
    {
        using var pooled = features.mean([2, 3]);
        return fc.call(pooled);
    }

    protected override void ReplaceClassifier(int numClasses)
        => fc = ReplaceLinear(nameof(fc), fc, numClasses);

    private const string Paper = "Ma et al., ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design, ECCV 2018";

    // The paper's Table 5: the same 4, 8, 4 units at four widths.
    [ZooModel("shufflenet_v2_x0_5", Family = "ShuffleNet", Paper = Paper, Input = "3x224x224", Parameters = 1_366_792, Macs = 40_476_448)]
    public static ImageClassifier ShuffleNetV2_x0_5(ModelOptions o) => new ShuffleNetV2([4, 8, 4], [24, 48, 96, 192, 1024], o);

    [ZooModel("shufflenet_v2_x1_0", Family = "ShuffleNet", Paper = Paper, Input = "3x224x224", Parameters = 2_278_604, Macs = 144_907_992)]
    public static ImageClassifier ShuffleNetV2_x1_0(ModelOptions o) => new ShuffleNetV2([4, 8, 4], [24, 116, 232, 464, 1024], o);

    [ZooModel("shufflenet_v2_x1_5", Family = "ShuffleNet", Paper = Paper, Input = "3x224x224", Parameters = 3_503_624, Macs = 295_759_392)]
    public static ImageClassifier ShuffleNetV2_x1_5(ModelOptions o) => new ShuffleNetV2([4, 8, 4], [24, 176, 352, 704, 1024], o);

    [ZooModel("shufflenet_v2_x2_0", Family = "ShuffleNet", Paper = Paper, Input = "3x224x224", Parameters = 7_393_996, Macs = 583_253_464)]
    public static ImageClassifier ShuffleNetV2_x2_0(ModelOptions o) => new ShuffleNetV2([4, 8, 4], [24, 244, 488, 976, 2048], o);
}
