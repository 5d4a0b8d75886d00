using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using VisionLab.Models.Blocks;
using VisionLab.Runtime;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models;

/// <summary>
/// ConvNeXt — Liu, Mao, Wu, Feichtenhofer, Darrell, Xie, "A ConvNet for the 2020s", CVPR 2022. A
/// ResNet modernised step by step towards the Swin Transformer's design: a 4×4 stride-4 "patchify"
/// stem, stage depths in the ratio 1:1:3:1, inverted bottleneck blocks whose 7×7 depthwise
/// convolution mixes space while 1×1 layers (linear layers on channels-last maps) mix channels,
/// one GELU and one layer norm per block instead of many ReLUs and batch norms, and separate 2×2
/// stride-2 downsampling layers between stages. Each residual branch is scaled by a learnt
/// per-channel factor starting at 1e-6 (layer scale) and dropped per sample in training with a
/// probability growing linearly with depth (stochastic depth). Names, shapes and initialisation
/// follow torchvision, whose state dicts therefore load unchanged.
/// </summary>
public sealed class ConvNeXt : ImageClassifier
{
    /// <summary>
    /// 7×7 depthwise convolution, layer norm, linear expansion to 4× the channels, GELU, linear
    /// projection back, scaled per channel and added to the input. The norm and linear layers work
    /// on channels-last maps, which is what a 1×1 convolution computes.
    /// </summary>
    public sealed class CNBlock : Module<Tensor, Tensor>
    {
        private const int Expansion = 4;
        private readonly Sequential block;
        [ComponentName(Name = "layer_scale")] private readonly Parameter layerScale;
        [ComponentName(Name = "stochastic_depth")] private readonly StochasticDepth stochasticDepth;

        public CNBlock(long dim, double layerScale, double stochasticDepthProbability) : base(nameof(CNBlock))
        {
            if (dim < 1)
                throw new ArgumentOutOfRangeException(nameof(dim), dim, $"a ConvNeXt block needs at least one channel, not {dim}");
            block = Sequential(
                ("0", new DepthwiseConv2d(dim, dim, 7, padding: 3)),
                ("1", new Permute(0, 2, 3, 1)),
                ("2", LayerNorm(dim, eps: NormEps)),
                ("3", Linear(dim, Expansion * dim)),
                ("4", GELU()),
                ("5", Linear(Expansion * dim, dim)),
                ("6", new Permute(0, 3, 1, 2)));
            this.layerScale = Parameter(HeldScalars.Full([dim, 1, 1], layerScale));
            stochasticDepth = new StochasticDepth(stochasticDepthProbability, perSample: true);
            RegisterComponents();
        }

        /// <summary>Probability that training drops this block's residual branch for a sample.</summary>
        public double StochasticDepthProbability => stochasticDepth.Probability;

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var branch = stochasticDepth.call(layerScale * block.call(x));
            return branch.PlusInPlace(x).MoveToOuterDisposeScope();
        }
    }

    /// <summary>Every layer norm in ConvNeXt uses this eps, not PyTorch's default 1e-5.</summary>
    private const double NormEps = 1e-6;
    /// <summary>Initial residual-branch scale: each block starts close to the identity.</summary>
    private const double LayerScaleInit = 1e-6;

    private readonly Sequential features;
    private Sequential classifier;

    /// <param name="widths">Channels of each stage (the paper's C).</param>
    /// <param name="depths">Blocks in each stage (the paper's B).</param>
    /// <param name="stochasticDepthProbability">Drop probability of the last block; block i of n drops with
    /// probability p · i / (n − 1), so the first block is never dropped.</param>
    private ConvNeXt(long[] widths, int[] depths, double stochasticDepthProbability, ModelOptions options) : base(nameof(ConvNeXt))
    {
        if (widths.Length == 0 || widths.Length != depths.Length || widths.Any(w => w < 1) || depths.Any(d => d < 1))
            throw new ArgumentException($"ConvNeXt takes one positive width and depth per stage, not widths [{string.Join(", ", widths)}] " +
                                        $"and depths [{string.Join(", ", depths)}]");
        if (stochasticDepthProbability is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(stochasticDepthProbability), stochasticDepthProbability,
                $"stochastic depth probability must be between 0 and 1, not {stochasticDepthProbability}");
        if (options.NumClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.NumClasses, $"ConvNeXt needs at least one class, not {options.NumClasses}");
        if (options.InChannels < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.InChannels, $"ConvNeXt needs at least one input channel, not {options.InChannels}");

        // Stem: non-overlapping 4×4 patches, as a vision transformer's patch embedding.
        var layers = new List<(string, Module<Tensor, Tensor>)>
        {
            ("0", Sequential(("0", Conv2d(options.InChannels, widths[0], 4, stride: 4)), ("1", new LayerNorm2d(widths[0], NormEps)))),
        };
        int totalBlocks = depths.Sum();
        int blockId = 0;
        for (int stage = 0; stage < widths.Length; stage++)
        {
            var blocks = new List<(string, Module<Tensor, Tensor>)>();
            for (int i = 0; i < depths[stage]; i++, blockId++)
            {
                double p = totalBlocks > 1 ? stochasticDepthProbability * blockId / (totalBlocks - 1.0) : 0;
                blocks.Add(($"{i}", new CNBlock(widths[stage], LayerScaleInit, p)));
            }
            layers.Add(($"{layers.Count}", Sequential(blocks)));
            // Downsampling is a layer of its own, normalised first to keep training stable.
            if (stage + 1 < widths.Length)
                layers.Add(($"{layers.Count}", Sequential(
                    ("0", new LayerNorm2d(widths[stage], NormEps)),
                    ("1", Conv2d(widths[stage], widths[stage + 1], 2, stride: 2)))));
        }
        features = Sequential(layers);
        long last = widths[^1];
        classifier = Sequential(
            ("0", new LayerNorm2d(last, NormEps)),
            ("1", Flatten(1)),
            (HeadName, Head(last, options.NumClasses)));
        RegisterComponents();

        foreach (var (_, module) in named_modules())
        {
            if (module is Convolution conv)
                InitTruncatedNormal(conv.weight!, conv.bias);
            else if (module is Linear linear)
                InitTruncatedNormal(linear.weight!, linear.bias);
        }
    }

    private static void InitTruncatedNormal(Tensor weight, Tensor? bias)
    {
        TruncatedNormal.Fill_(weight, std: 0.02);
        if (bias is not null) init.zeros_(bias);
    }

    private static Linear Head(long inFeatures, long numClasses)
    {
        var linear = Linear(inFeatures, numClasses);
        InitTruncatedNormal(linear.weight!, linear.bias);
        return linear;
    }

    private const string HeadName = "2";

    private Linear HeadLayer => LinearIn(classifier, HeadName);

    public override int NumClasses => (int)HeadLayer.out_features;

    public override Tensor ForwardFeatures(Tensor images) => features.call(images);

    public override Tensor ForwardHead(Tensor features)
    {
        using var pooled = functional.adaptive_avg_pool2d(features, 1);
        return classifier.call(pooled);
    }

    protected override void ReplaceClassifier(int numClasses)
        => classifier = ReplaceLinearIn(nameof(classifier), classifier, HeadName, numClasses, Head);

    private const string Paper = "Liu et al., A ConvNet for the 2020s, CVPR 2022";

    [ZooModel("convnext_tiny", Family = "ConvNeXt", Paper = Paper, Input = "3x224x224", Parameters = 28_589_128, Macs = 4_455_531_264)]
    public static ImageClassifier ConvNeXtTiny(ModelOptions o) => new ConvNeXt([96, 192, 384, 768], [3, 3, 9, 3], 0.1, o);

    [ZooModel("convnext_small", Family = "ConvNeXt", Paper = Paper, Input = "3x224x224", Parameters = 50_223_688, Macs = 8_683_712_256)]
    public static ImageClassifier ConvNeXtSmall(ModelOptions o) => new ConvNeXt([96, 192, 384, 768], [3, 3, 27, 3], 0.4, o);

    [ZooModel("convnext_base", Family = "ConvNeXt", Paper = Paper, Input = "3x224x224", Parameters = 88_591_464, Macs = 15_354_729_472)]
    public static ImageClassifier ConvNeXtBase(ModelOptions o) => new ConvNeXt([128, 256, 512, 1024], [3, 3, 27, 3], 0.5, o);

    [ZooModel("convnext_large", Family = "ConvNeXt", Paper = Paper, Input = "3x224x224", Parameters = 197_767_336, Macs = 34_361_433_600)]
    public static ImageClassifier ConvNeXtLarge(ModelOptions o) => new ConvNeXt([192, 384, 768, 1536], [3, 3, 27, 3], 0.5, o);
}
