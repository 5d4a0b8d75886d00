using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using VisionLab.Models.Blocks;
using VisionLab.Runtime;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models;

/// <summary>
/// RegNet — Radosavovic, Kosaraju, Girshick, He, Dollár, "Designing Network Design Spaces", CVPR
/// 2020. Instead of one network the paper searches for a simple population of good ones, and finds
/// that the best widths grow linearly with depth, then snap to a few stages: four numbers (depth,
/// initial width w₀, slope wₐ, step w_m) plus a group width fix the whole network. The blocks are
/// ResNeXt bottlenecks with grouped 3×3 convolutions; RegNetY adds squeeze-and-excitation. Names,
/// shapes, channel arithmetic and initialisation follow torchvision, whose weights therefore load
/// unchanged.
/// </summary>
public sealed class RegNet : ImageClassifier
{
    /// <summary>One stage: <paramref name="Depth"/> blocks of <paramref name="Width"/> output channels.</summary>
    public sealed record Stage(long Width, int Depth, long GroupWidth, double BottleneckMultiplier);

    /// <summary>
    /// The quantised linear width rule (paper, Section 3.3). Block j would ideally be
    /// u_j = w₀ + wₐ·j wide; its width is w₀·w_m^s_j with s_j = round(log_{w_m}(u_j / w₀)), a
    /// multiple of 8, so widths step by a factor w_m and blocks of equal width form a stage. The
    /// stage widths are then nudged so that each bottleneck splits into whole groups.
    /// </summary>
    public static IReadOnlyList<Stage> QuantizedLinearStages(int depth, long w0, double wa, double wm, long groupWidth,
        double bottleneckMultiplier = 1.0)
    {
        const long Quantum = 8;
        if (depth < 1 || wa < 0 || w0 <= 0 || wm <= 1 || w0 % Quantum != 0 || groupWidth < 1 || bottleneckMultiplier <= 0)
            throw new ArgumentException($"invalid RegNet settings: depth {depth}, w_0 {w0} (a positive multiple of 8), w_a {wa} (≥ 0), " +
                                        $"w_m {wm} (> 1), group width {groupWidth}, bottleneck multiplier {bottleneckMultiplier}");

        // Math.Round rounds halves to even, as torch.round does (regnet_x_1_6gf has a 22.5 × 8).
        var blockWidths = Enumerable.Range(0, depth).Select(j =>
        {
            double steps = Math.Round(Math.Log((w0 + wa * j) / w0) / Math.Log(wm));
            return (long)Math.Round(w0 * Math.Pow(wm, steps) / Quantum) * Quantum;
        }).ToList();

        var stages = new List<Stage>();
        foreach (long width in blockWidths)
        {
            if (stages.Count > 0 && stages[^1].Width == width)
                stages[^1] = stages[^1] with { Depth = stages[^1].Depth + 1 };
            else
                stages.Add(new Stage(width, 1, groupWidth, bottleneckMultiplier));
        }

        // A bottleneck narrower than the group width is one group; otherwise round it to whole groups.
        return stages.Select(s =>
        {
            long bottleneck = (long)(s.Width * s.BottleneckMultiplier);
            long groups = Math.Min(s.GroupWidth, bottleneck);
            long fitted = Channels.MakeDivisible(bottleneck, groups);
            return s with { Width = (long)(fitted / s.BottleneckMultiplier), GroupWidth = groups };
        }).ToList();
    }

    /// <summary>
    /// x + F(x) with F a bottleneck: 1×1 (<c>a</c>), grouped 3×3 (<c>b</c>, strided in a stage's
    /// first block), optional squeeze-and-excitation (<c>se</c>), 1×1 without activation (<c>c</c>).
    /// A 1×1 projection (<c>proj</c>) replaces the identity where the shape changes.
    /// </summary>
    public sealed class ResBottleneckBlock : Module<Tensor, Tensor>
    {
        private readonly Sequential? proj;
        private readonly Sequential f;

        public ResBottleneckBlock(long widthIn, long widthOut, long stride, long groupWidth, double bottleneckMultiplier, double? seRatio)
            : base(nameof(ResBottleneckBlock))
        {
            if (widthIn < 1 || widthOut < 1 || stride < 1 || groupWidth < 1 || bottleneckMultiplier <= 0)
                throw new ArgumentException($"invalid RegNet block: width {widthIn} → {widthOut}, stride {stride}, " +
                                            $"group width {groupWidth}, bottleneck multiplier {bottleneckMultiplier}");
            long bottleneck = (long)Math.Round(widthOut * bottleneckMultiplier);
            if (bottleneck % groupWidth != 0)
                throw new ArgumentException($"a bottleneck of {bottleneck} channels does not split into groups of {groupWidth}");

            if (widthIn != widthOut || stride != 1)
                proj = ConvNormActivation.Create(widthIn, widthOut, kernelSize: 1, stride: stride, activation: Activation.None);
            var layers = new List<(string, Module<Tensor, Tensor>)>
            {
                ("a", ConvNormActivation.Create(widthIn, bottleneck, kernelSize: 1)),
                ("b", ConvNormActivation.Create(bottleneck, bottleneck, kernelSize: 3, stride: stride, groups: bottleneck / groupWidth)),
            };
            // The squeeze ratio is relative to the block's input width, not the bottleneck's.
            if (seRatio is > 0 and var ratio)
                layers.Add(("se", new SqueezeExcitation(bottleneck, (long)Math.Round(ratio * widthIn), Activation.ReLU)));
            layers.Add(("c", ConvNormActivation.Create(bottleneck, widthOut, kernelSize: 1, activation: Activation.None)));
            f = Sequential(layers);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var y = f.call(x);
            y = y.PlusInPlace(proj is null ? x : proj.call(x));
            return GuidedRelu.ReluInPlace(y).MoveToOuterDisposeScope();
        }
    }

    private const long StemWidth = 32;

    private readonly Sequential stem;
    [ComponentName(Name = "trunk_output")] private readonly Sequential trunkOutput;
    private Linear fc;

    private RegNet(IReadOnlyList<Stage> stages, double? seRatio, ModelOptions options) : base(nameof(RegNet))
    {
        if (stages.Count < 1)
            throw new ArgumentException("RegNet needs at least one stage", nameof(stages));
        if (options.NumClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.NumClasses, $"RegNet needs at least one class, not {options.NumClasses}");
        if (options.InChannels < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.InChannels, $"RegNet needs at least one input channel, not {options.InChannels}");

        // A plain 3×3 stride-2 stem; every stage halves the resolution in its first block (224 → 7).
        stem = ConvNormActivation.Create(options.InChannels, StemWidth, kernelSize: 3, stride: 2);
        long width = StemWidth;
        var trunk = new List<(string, Module<Tensor, Tensor>)>();
        for (int s = 0; s < stages.Count; s++)
        {
            var stage = stages[s];
            var blocks = new List<(string, Module<Tensor, Tensor>)>();
            for (int i = 0; i < stage.Depth; i++)
            {
                blocks.Add(($"block{s + 1}-{i}", new ResBottleneckBlock(i == 0 ? width : stage.Width, stage.Width, i == 0 ? 2 : 1,
                    stage.GroupWidth, stage.BottleneckMultiplier, seRatio)));
            }
            trunk.Add(($"block{s + 1}", Sequential(blocks)));
            width = stage.Width;
        }
        trunkOutput = Sequential(trunk);
        fc = Classifier(width, options.NumClasses);
        RegisterComponents();

        // He-normal over the fan-out for every convolution (including squeeze-excitation's), as the
        // authors' pycls code; batch norms keep their defaults of weight 1, bias 0.
        foreach (var (_, module) in named_modules())
        {
            if (module is Conv2d conv)
            {
                long fanOut = conv.kernel_size.Aggregate(1L, (a, k) => a * k) * conv.out_channels;
                init.normal_(conv.weight, 0, Math.Sqrt(2.0 / fanOut));
            }
        }
    }

    private static Linear Classifier(long inFeatures, long numClasses)
    {
        var linear = Linear(inFeatures, numClasses);
        init.normal_(linear.weight, 0, 0.01);
        init.zeros_(linear.bias);
        return linear;
    }

    public override int NumClasses => (int)fc.out_features;

    public override Tensor ForwardFeatures(Tensor images)
    {
        using var scope = NewDisposeScope();
        return trunkOutput.call(stem.call(images)).MoveToOuterDisposeScope();
    }

    public override Tensor ForwardHead(Tensor features) => ClassifyPooled(features, fc);

    protected override void ReplaceClassifier(int numClasses)
        => fc = ReplaceLinear(nameof(fc), fc, numClasses, Classifier);

    private const string Paper = "Radosavovic et al., Designing Network Design Spaces, CVPR 2020";

    private static RegNet X(ModelOptions o, int depth, long w0, double wa, double wm, long groupWidth) =>
        new(QuantizedLinearStages(depth, w0, wa, wm, groupWidth), seRatio: null, o);

    // RegNetY: the same rule with squeeze-and-excitation at a quarter of the block's input width.
    private static RegNet Y(ModelOptions o, int depth, long w0, double wa, double wm, long groupWidth) =>
        new(QuantizedLinearStages(depth, w0, wa, wm, groupWidth), seRatio: 0.25, o);

    // Depth, w_0, w_a, w_m and group width of the models the authors released with the paper;
    // regnet_y_128gf is the larger one trained later for SWAG (Singh et al., CVPR 2022).
    [ZooModel("regnet_x_400mf", Family = "RegNet", Paper = Paper, Input = "3x224x224", Parameters = 5_495_976, Macs = 413_812_608)]
    public static ImageClassifier RegNetX_400MF(ModelOptions o) => X(o, 22, 24, 24.48, 2.54, 16);

    [ZooModel("regnet_x_800mf", Family = "RegNet", Paper = Paper, Input = "3x224x224", Parameters = 7_259_656, Macs = 799_699_712)]
    public static ImageClassifier RegNetX_800MF(ModelOptions o) => X(o, 16, 56, 35.73, 2.28, 16);

    [ZooModel("regnet_x_1_6gf", Family = "RegNet", Paper = Paper, Input = "3x224x224", Parameters = 9_190_136, Macs = 1_602_849_792)]
    public static ImageClassifier RegNetX_1_6GF(ModelOptions o) => X(o, 18, 80, 34.01, 2.25, 24);

    [ZooModel("regnet_x_3_2gf", Family = "RegNet", Paper = Paper, Input = "3x224x224", Parameters = 15_296_552, Macs = 3_176_621_952)]
    public static ImageClassifier RegNetX_3_2GF(ModelOptions o) => X(o, 25, 88, 26.31, 2.25, 48);

    [ZooModel("regnet_x_8gf", Family = "RegNet", Paper = Paper, Input = "3x224x224", Parameters = 39_572_648, Macs = 7_995_132_416)]
    public static ImageClassifier RegNetX_8GF(ModelOptions o) => X(o, 23, 80, 49.56, 2.88, 120);

    [ZooModel("regnet_x_16gf", Family = "RegNet", Paper = Paper, Input = "3x224x224", Parameters = 54_278_536, Macs = 15_940_755_456)]
    public static ImageClassifier RegNetX_16GF(ModelOptions o) => X(o, 22, 216, 55.59, 2.1, 128);

    [ZooModel("regnet_x_32gf", Family = "RegNet", Paper = Paper, Input = "3x224x224", Parameters = 107_811_560, Macs = 31_735_929_792)]
    public static ImageClassifier RegNetX_32GF(ModelOptions o) => X(o, 23, 320, 69.86, 2.0, 168);

    [ZooModel("regnet_y_400mf", Family = "RegNet", Paper = Paper, Input = "3x224x224", Parameters = 4_344_144, Macs = 401_842_848)]
    public static ImageClassifier RegNetY_400MF(ModelOptions o) => Y(o, 16, 48, 27.89, 2.09, 8);

    [ZooModel("regnet_y_800mf", Family = "RegNet", Paper = Paper, Input = "3x224x224", Parameters = 6_432_512, Macs = 833_856_256)]
    public static ImageClassifier RegNetY_800MF(ModelOptions o) => Y(o, 14, 56, 38.84, 2.4, 16);

    [ZooModel("regnet_y_1_6gf", Family = "RegNet", Paper = Paper, Input = "3x224x224", Parameters = 11_202_430, Macs = 1_612_076_160)]
    public static ImageClassifier RegNetY_1_6GF(ModelOptions o) => Y(o, 27, 48, 20.71, 2.65, 24);

    [ZooModel("regnet_y_3_2gf", Family = "RegNet", Paper = Paper, Input = "3x224x224", Parameters = 19_436_338, Macs = 3_176_482_752)]
    public static ImageClassifier RegNetY_3_2GF(ModelOptions o) => Y(o, 21, 80, 42.63, 2.66, 24);

    [ZooModel("regnet_y_8gf", Family = "RegNet", Paper = Paper, Input = "3x224x224", Parameters = 39_381_472, Macs = 8_473_070_592)]
    public static ImageClassifier RegNetY_8GF(ModelOptions o) => Y(o, 17, 192, 76.82, 2.19, 56);

    [ZooModel("regnet_y_16gf", Family = "RegNet", Paper = Paper, Input = "3x224x224", Parameters = 83_590_140, Macs = 15_911_510_272)]
    public static ImageClassifier RegNetY_16GF(ModelOptions o) => Y(o, 18, 200, 106.23, 2.48, 112);

    [ZooModel("regnet_y_32gf", Family = "RegNet", Paper = Paper, Input = "3x224x224", Parameters = 145_046_770, Macs = 32_279_552_832)]
    public static ImageClassifier RegNetY_32GF(ModelOptions o) => Y(o, 20, 232, 115.89, 2.53, 232);

    [ZooModel("regnet_y_128gf", Family = "RegNet", Paper = Paper, Input = "3x224x224", Parameters = 644_812_894, Macs = 127_517_815_680)]
    public static ImageClassifier RegNetY_128GF(ModelOptions o) => Y(o, 27, 456, 160.83, 2.52, 264);
}
