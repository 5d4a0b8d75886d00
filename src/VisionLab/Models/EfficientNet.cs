using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using VisionLab.Models.Blocks;
using VisionLab.Runtime;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models;

/// <summary>
/// EfficientNet — Tan and Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural
/// Networks", ICML 2019 — and EfficientNetV2 — Tan and Le, "EfficientNetV2: Smaller Models and
/// Faster Training", ICML 2021. B0 is a mobile inverted-bottleneck network found by architecture
/// search; B1–B7 scale its width and depth together (compound scaling) for larger inputs. V2 swaps
/// the early stages for fused blocks, whose single full convolution runs faster than a 1×1 expansion
/// plus a depthwise convolution at high resolution. Residual branches are dropped per sample in
/// training with a probability growing linearly with depth. Names, shapes, rounding and
/// initialisation follow torchvision, whose state dicts therefore load unchanged.
/// </summary>
public sealed class EfficientNet : ImageClassifier
{
    /// <summary>
    /// One row of the papers' architecture tables (V1 Table 1, V2 Table 4): a stage of
    /// <see cref="NumLayers"/> blocks, the first of which changes the width and applies the stride.
    /// </summary>
    public sealed record StageConfig(bool Fused, double ExpandRatio, long Kernel, long Stride, long InputChannels,
        long OutChannels, int NumLayers)
    {
        /// <summary>A V1 row with its widths and depth scaled by the compound multipliers.</summary>
        public static StageConfig MBConv(double expandRatio, long kernel, long stride, long inputChannels, long outChannels,
            int numLayers, double widthMult = 1.0, double depthMult = 1.0) =>
            new(false, expandRatio, kernel, stride, AdjustChannels(inputChannels, widthMult), AdjustChannels(outChannels, widthMult),
                (int)Math.Ceiling(numLayers * depthMult));

        /// <summary>A V2 row; V2 variants are tabled individually, never scaled.</summary>
        public static StageConfig FusedMBConv(double expandRatio, long kernel, long stride, long inputChannels, long outChannels, int numLayers) =>
            new(true, expandRatio, kernel, stride, inputChannels, outChannels, numLayers);

        /// <summary>Widths stay multiples of 8 after scaling, as the reference rounds them.</summary>
        public static long AdjustChannels(long channels, double multiplier) => Channels.MakeDivisible(channels * multiplier, 8);

        internal void Validate()
        {
            if (Stride is not (1 or 2)) throw new ArgumentException($"illegal stride value {Stride}: an EfficientNet block takes stride 1 or 2");
            if (Kernel < 1 || Kernel % 2 == 0) throw new ArgumentException($"kernel size {Kernel} must be odd and positive for 'same' padding");
            if (!(ExpandRatio >= 1)) throw new ArgumentException($"expand ratio {ExpandRatio} must be at least 1");
            if (InputChannels < 1 || OutChannels < 1) throw new ArgumentException($"a stage needs positive widths, not {InputChannels} → {OutChannels}");
            if (NumLayers < 1) throw new ArgumentException($"a stage needs at least one block, not {NumLayers}");
        }
    }

    /// <summary>Batch-norm settings; the TensorFlow-trained variants keep TensorFlow's eps (and momentum).</summary>
    public sealed record NormSettings(double Eps, double Momentum)
    {
        public static readonly NormSettings PyTorch = new(1e-5, 0.1);
        public static readonly NormSettings TensorFlow = new(1e-3, 0.01);
        public static readonly NormSettings V2 = new(1e-3, 0.1);
    }

    /// <summary>
    /// Mobile inverted bottleneck (MobileNetV2's block with squeeze-and-excitation): 1×1 expansion,
    /// depthwise k×k convolution, squeeze-excitation gated on a quarter of the block's input width,
    /// linear 1×1 projection. The residual branch is stochastically dropped when the shapes allow a
    /// shortcut.
    /// </summary>
    public sealed class MBConv : Module<Tensor, Tensor>
    {
        private readonly Sequential block;
        [ComponentName(Name = "stochastic_depth")] private readonly StochasticDepth stochasticDepth;
        private readonly bool useResidual;

        public MBConv(StageConfig config, long inputChannels, long stride, double stochasticDepthProbability, NormSettings norm)
            : base(nameof(MBConv))
        {
            long expanded = StageConfig.AdjustChannels(inputChannels, config.ExpandRatio);
            var layers = new List<Module<Tensor, Tensor>>();
            if (expanded != inputChannels)
                layers.Add(ConvNormActivation.Create(inputChannels, expanded, 1, activation: Activation.SiLU, normEps: norm.Eps, normMomentum: norm.Momentum));
            layers.Add(ConvNormActivation.Create(expanded, expanded, config.Kernel, stride, groups: expanded,
                activation: Activation.SiLU, normEps: norm.Eps, normMomentum: norm.Momentum));
            layers.Add(new SqueezeExcitation(expanded, Math.Max(1, inputChannels / 4), Activation.SiLU));
            layers.Add(ConvNormActivation.Create(expanded, config.OutChannels, 1, activation: Activation.None, normEps: norm.Eps, normMomentum: norm.Momentum));
            block = Numbered(layers);
            stochasticDepth = new StochasticDepth(stochasticDepthProbability, perSample: true);
            useResidual = stride == 1 && inputChannels == config.OutChannels;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => Residual(block, stochasticDepth, useResidual, x);
    }

    /// <summary>
    /// EfficientNetV2's fused block: the expansion and depthwise convolutions of <see cref="MBConv"/>
    /// merged into one k×k convolution, then a linear 1×1 projection — or, without expansion, the
    /// k×k convolution alone. No squeeze-excitation.
    /// </summary>
    public sealed class FusedMBConv : Module<Tensor, Tensor>
    {
        private readonly Sequential block;
        [ComponentName(Name = "stochastic_depth")] private readonly StochasticDepth stochasticDepth;
        private readonly bool useResidual;

        public FusedMBConv(StageConfig config, long inputChannels, long stride, double stochasticDepthProbability, NormSettings norm)
            : base(nameof(FusedMBConv))
        {
            long expanded = StageConfig.AdjustChannels(inputChannels, config.ExpandRatio);
            var layers = new List<Module<Tensor, Tensor>>();
            if (expanded != inputChannels)
            {
                layers.Add(ConvNormActivation.Create(inputChannels, expanded, config.Kernel, stride,
                    activation: Activation.SiLU, normEps: norm.Eps, normMomentum: norm.Momentum));
                layers.Add(ConvNormActivation.Create(expanded, config.OutChannels, 1, activation: Activation.None, normEps: norm.Eps, normMomentum: norm.Momentum));
            }
            else
            {
                layers.Add(ConvNormActivation.Create(inputChannels, config.OutChannels, config.Kernel, stride,
                    activation: Activation.SiLU, normEps: norm.Eps, normMomentum: norm.Momentum));
            }
            block = Numbered(layers);
            stochasticDepth = new StochasticDepth(stochasticDepthProbability, perSample: true);
            useResidual = stride == 1 && inputChannels == config.OutChannels;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => Residual(block, stochasticDepth, useResidual, x);
    }

    private static Sequential Numbered(IEnumerable<Module<Tensor, Tensor>> layers) =>
        Sequential(layers.Select((layer, i) => ($"{i}", layer)));

    private static Tensor Residual(Sequential block, StochasticDepth stochasticDepth, bool useResidual, Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = block.call(x);
        if (useResidual) y = stochasticDepth.call(y).PlusInPlace(x);
        return y.MoveToOuterDisposeScope();
    }

    private readonly Sequential features;
    private Sequential classifier;
    private const string LinearName = "1";

    /// <param name="stages">The architecture table's rows, already scaled.</param>
    /// <param name="dropout">Dropout before the classifier in training.</param>
    /// <param name="lastChannel">Width of the final 1×1 convolution; null: four times the last stage's.</param>
    /// <param name="stochasticDepthProbability">Drop probability of the deepest block; block i of n drops with p·i/n.</param>
    public EfficientNet(IReadOnlyList<StageConfig> stages, double dropout, long? lastChannel, NormSettings norm,
        ModelOptions options, double stochasticDepthProbability = 0.2)
        : base(nameof(EfficientNet))
    {
        if (stages.Count == 0) throw new ArgumentException("EfficientNet needs at least one stage", nameof(stages));
        foreach (var stage in stages) stage.Validate();
        if (!(dropout >= 0 && dropout < 1)) throw new ArgumentException($"dropout {dropout} must be in [0, 1)", nameof(dropout));
        if (!(stochasticDepthProbability >= 0 && stochasticDepthProbability <= 1))
            throw new ArgumentException($"stochastic depth probability {stochasticDepthProbability} must be in [0, 1]", nameof(stochasticDepthProbability));
        if (lastChannel is < 1) throw new ArgumentException($"last channel {lastChannel} must be at least 1", nameof(lastChannel));
        if (options.NumClasses < 1) throw new ArgumentException($"num_classes {options.NumClasses} must be at least 1", nameof(options));
        if (options.InChannels < 1) throw new ArgumentException($"in_channels {options.InChannels} must be at least 1", nameof(options));

        var layers = new List<Module<Tensor, Tensor>>
        {
            ConvNormActivation.Create(options.InChannels, stages[0].InputChannels, 3, 2, activation: Activation.SiLU,
                normEps: norm.Eps, normMomentum: norm.Momentum),
        };
        // Deeper blocks are dropped more often: the early ones compute features every later block needs.
        int totalBlocks = stages.Sum(s => s.NumLayers);
        int blockId = 0;
        foreach (var stage in stages)
        {
            var blocks = new List<Module<Tensor, Tensor>>();
            for (int i = 0; i < stage.NumLayers; i++)
            {
                long inputChannels = i == 0 ? stage.InputChannels : stage.OutChannels;
                long stride = i == 0 ? stage.Stride : 1;
                double probability = stochasticDepthProbability * blockId / totalBlocks;
                blocks.Add(stage.Fused
                    ? new FusedMBConv(stage, inputChannels, stride, probability, norm)
                    : new MBConv(stage, inputChannels, stride, probability, norm));
                blockId++;
            }
            layers.Add(Numbered(blocks));
        }
        long headInput = stages[^1].OutChannels;
        long headWidth = lastChannel ?? 4 * headInput;
        layers.Add(ConvNormActivation.Create(headInput, headWidth, 1, activation: Activation.SiLU, normEps: norm.Eps, normMomentum: norm.Momentum));
        features = Numbered(layers);
        classifier = Sequential(("0", Dropout(dropout, inplace: true)), (LinearName, NewLinear(headWidth, options.NumClasses)));
        RegisterComponents();

        Initialization.HeNormalFanOut(this);
    }

    /// <summary>Uniform in ±1/√classes with zero bias, as torchvision initialises the classifier.</summary>
    private static Linear NewLinear(long inFeatures, long numClasses)
    {
        var linear = Linear(inFeatures, numClasses);
        double range = 1.0 / Math.Sqrt(numClasses);
        init.uniform_(linear.weight, -range, range);
        init.zeros_(linear.bias);
        return linear;
    }

    private Linear Head => LinearIn(classifier, LinearName);

    public override int NumClasses => (int)Head.out_features;

    public override Tensor ForwardFeatures(Tensor images) => features.call(images);

    public override Tensor ForwardHead(Tensor features) => ClassifyPooled(features, classifier);

    protected override void ReplaceClassifier(int numClasses)
    {
        classifier = ReplaceLinearIn(nameof(classifier), classifier, LinearName, numClasses, NewLinear);
    }

    private const string V1Paper = "Tan and Le, EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks, ICML 2019";
    private const string V2Paper = "Tan and Le, EfficientNetV2: Smaller Models and Faster Training, ICML 2021";

    /// <summary>B0's seven stages (V1 Table 1), scaled by a variant's width and depth multipliers.</summary>
    private static StageConfig[] V1(double width, double depth) =>
    [
        StageConfig.MBConv(1, 3, 1, 32, 16, 1, width, depth),
        StageConfig.MBConv(6, 3, 2, 16, 24, 2, width, depth),
        StageConfig.MBConv(6, 5, 2, 24, 40, 2, width, depth),
        StageConfig.MBConv(6, 3, 2, 40, 80, 3, width, depth),
        StageConfig.MBConv(6, 5, 1, 80, 112, 3, width, depth),
        StageConfig.MBConv(6, 5, 2, 112, 192, 4, width, depth),
        StageConfig.MBConv(6, 3, 1, 192, 320, 1, width, depth),
    ];

    [ZooModel("efficientnet_b0", Family = "EfficientNet", Paper = V1Paper, Input = "3x224x224", Parameters = 5_288_548, Macs = 385_814_752)]
    public static ImageClassifier EfficientNetB0(ModelOptions o) => new EfficientNet(V1(1.0, 1.0), 0.2, null, NormSettings.PyTorch, o);

    [ZooModel("efficientnet_b1", Family = "EfficientNet", Paper = V1Paper, Input = "3x240x240", Parameters = 7_794_184, Macs = 686_802_832)]
    public static ImageClassifier EfficientNetB1(ModelOptions o) => new EfficientNet(V1(1.0, 1.1), 0.2, null, NormSettings.PyTorch, o);

    [ZooModel("efficientnet_b2", Family = "EfficientNet", Paper = V1Paper, Input = "3x288x288", Parameters = 9_109_994, Macs = 1_087_529_456)]
    public static ImageClassifier EfficientNetB2(ModelOptions o) => new EfficientNet(V1(1.1, 1.2), 0.3, null, NormSettings.PyTorch, o);

    [ZooModel("efficientnet_b3", Family = "EfficientNet", Paper = V1Paper, Input = "3x300x300", Parameters = 12_233_232, Macs = 1_827_141_392)]
    public static ImageClassifier EfficientNetB3(ModelOptions o) => new EfficientNet(V1(1.2, 1.4), 0.3, null, NormSettings.PyTorch, o);

    [ZooModel("efficientnet_b4", Family = "EfficientNet", Paper = V1Paper, Input = "3x380x380", Parameters = 19_341_616, Macs = 4_393_771_024)]
    public static ImageClassifier EfficientNetB4(ModelOptions o) => new EfficientNet(V1(1.4, 1.8), 0.4, null, NormSettings.PyTorch, o);

    // B5–B7's reference weights were trained in TensorFlow, so their norms keep its eps and momentum.
    [ZooModel("efficientnet_b5", Family = "EfficientNet", Paper = V1Paper, Input = "3x456x456", Parameters = 30_389_784, Macs = 10_266_384_752)]
    public static ImageClassifier EfficientNetB5(ModelOptions o) => new EfficientNet(V1(1.6, 2.2), 0.4, null, NormSettings.TensorFlow, o);

    [ZooModel("efficientnet_b6", Family = "EfficientNet", Paper = V1Paper, Input = "3x528x528", Parameters = 43_040_704, Macs = 19_067_593_536)]
    public static ImageClassifier EfficientNetB6(ModelOptions o) => new EfficientNet(V1(1.8, 2.6), 0.5, null, NormSettings.TensorFlow, o);

    [ZooModel("efficientnet_b7", Family = "EfficientNet", Paper = V1Paper, Input = "3x600x600", Parameters = 66_347_960, Macs = 37_745_884_192)]
    public static ImageClassifier EfficientNetB7(ModelOptions o) => new EfficientNet(V1(2.0, 3.1), 0.5, null, NormSettings.TensorFlow, o);

    // V2 (Table 4 and the authors' M and L configurations): fused blocks while the maps are large.
    [ZooModel("efficientnet_v2_s", Family = "EfficientNetV2", Paper = V2Paper, Input = "3x384x384", Parameters = 21_458_488, Macs = 8_365_617_152)]
    public static ImageClassifier EfficientNetV2S(ModelOptions o) => new EfficientNet(
    [
        StageConfig.FusedMBConv(1, 3, 1, 24, 24, 2),
        StageConfig.FusedMBConv(4, 3, 2, 24, 48, 4),
        StageConfig.FusedMBConv(4, 3, 2, 48, 64, 4),
        StageConfig.MBConv(4, 3, 2, 64, 128, 6),
        StageConfig.MBConv(6, 3, 1, 128, 160, 9),
        StageConfig.MBConv(6, 3, 2, 160, 256, 15),
    ], 0.2, 1280, NormSettings.V2, o);

    [ZooModel("efficientnet_v2_m", Family = "EfficientNetV2", Paper = V2Paper, Input = "3x480x480", Parameters = 54_139_356, Macs = 24_582_460_384)]
    public static ImageClassifier EfficientNetV2M(ModelOptions o) => new EfficientNet(
    [
        StageConfig.FusedMBConv(1, 3, 1, 24, 24, 3),
        StageConfig.FusedMBConv(4, 3, 2, 24, 48, 5),
        StageConfig.FusedMBConv(4, 3, 2, 48, 80, 5),
        StageConfig.MBConv(4, 3, 2, 80, 160, 7),
        StageConfig.MBConv(6, 3, 1, 160, 176, 14),
        StageConfig.MBConv(6, 3, 2, 176, 304, 18),
        StageConfig.MBConv(6, 3, 1, 304, 512, 5),
    ], 0.3, 1280, NormSettings.V2, o);

    [ZooModel("efficientnet_v2_l", Family = "EfficientNetV2", Paper = V2Paper, Input = "3x480x480", Parameters = 118_515_272, Macs = 56_079_699_008)]
    public static ImageClassifier EfficientNetV2L(ModelOptions o) => new EfficientNet(
    [
        StageConfig.FusedMBConv(1, 3, 1, 32, 32, 4),
        StageConfig.FusedMBConv(4, 3, 2, 32, 64, 7),
        StageConfig.FusedMBConv(4, 3, 2, 64, 96, 7),
        StageConfig.MBConv(4, 3, 2, 96, 192, 10),
        StageConfig.MBConv(6, 3, 1, 192, 224, 19),
        StageConfig.MBConv(6, 3, 2, 224, 384, 25),
        StageConfig.MBConv(6, 3, 1, 384, 640, 7),
    ], 0.4, 1280, NormSettings.V2, o);
}
