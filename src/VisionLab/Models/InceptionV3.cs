using TorchSharp;
using TorchSharp.Modules;
using VisionLab.Models.Blocks;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models;

/// <summary>
/// Inception v3 — Szegedy, Vanhoucke, Ioffe, Shlens, Wojna, "Rethinking the Inception Architecture
/// for Computer Vision", CVPR 2016 — as torchvision builds it, so its weights load unchanged. The
/// paper's ideas, module by module: replace a 5×5 by two 3×3s (A), factorise n×n into 1×n then n×1
/// (C, and D's 7×7 path), widen the coarsest grid with split 1×3/3×1 outputs (E), and shrink the
/// grid with strided convolutions and pooling side by side so no branch becomes a bottleneck
/// (B, D). One auxiliary head on the 17×17 grid, with batch norm, acts as a regulariser.
/// Designed for 299×299 inputs; the backbone takes 75×75 and up, the auxiliary head (training mode
/// only) needs the full 299×299. torchvision's <c>transform_input</c> is off unless its pretrained
/// weights are requested, so this network takes the input as it comes.
/// </summary>
public sealed class InceptionV3 : ImageClassifier, IAuxiliaryClassifiers
{
    /// <summary>35×35 grid: 1×1; 1×1 then 5×5; 1×1 then two 3×3; 3×3 average pool then 1×1.</summary>
    public sealed class InceptionA : Module<Tensor, Tensor>
    {
        private readonly BasicConv2d branch1x1;
        private readonly BasicConv2d branch5x5_1;
        private readonly BasicConv2d branch5x5_2;
        private readonly BasicConv2d branch3x3dbl_1;
        private readonly BasicConv2d branch3x3dbl_2;
        private readonly BasicConv2d branch3x3dbl_3;
        private readonly BasicConv2d branch_pool;

        public InceptionA(long inChannels, long poolFeatures) : base(nameof(InceptionA))
        {
            branch1x1 = new BasicConv2d(inChannels, 64, 1);
            branch5x5_1 = new BasicConv2d(inChannels, 48, 1);
            branch5x5_2 = new BasicConv2d(48, 64, 5, padding: 2);
            branch3x3dbl_1 = new BasicConv2d(inChannels, 64, 1);
            branch3x3dbl_2 = new BasicConv2d(64, 96, 3, padding: 1);
            branch3x3dbl_3 = new BasicConv2d(96, 96, 3, padding: 1);
            branch_pool = new BasicConv2d(inChannels, poolFeatures, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var b1 = branch1x1.call(x);
            var b5 = branch5x5_2.call(branch5x5_1.call(x));
            var b3 = branch3x3dbl_3.call(branch3x3dbl_2.call(branch3x3dbl_1.call(x)));
            var bp = branch_pool.call(functional.avg_pool2d(x, 3, stride: 1, padding: 1));
            return cat([b1, b5, b3, bp], 1).MoveToOuterDisposeScope();
        }
    }

    /// <summary>35×35 to 17×17: a stride-2 3×3, a stride-2 double 3×3 and a max pool side by side.</summary>
    public sealed class InceptionB : Module<Tensor, Tensor>
    {
        private readonly BasicConv2d branch3x3;
        private readonly BasicConv2d branch3x3dbl_1;
        private readonly BasicConv2d branch3x3dbl_2;
        private readonly BasicConv2d branch3x3dbl_3;

        public InceptionB(long inChannels) : base(nameof(InceptionB))
        {
            branch3x3 = new BasicConv2d(inChannels, 384, 3, stride: 2);
            branch3x3dbl_1 = new BasicConv2d(inChannels, 64, 1);
            branch3x3dbl_2 = new BasicConv2d(64, 96, 3, padding: 1);
            branch3x3dbl_3 = new BasicConv2d(96, 96, 3, stride: 2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var b3 = branch3x3.call(x);
            var bd = branch3x3dbl_3.call(branch3x3dbl_2.call(branch3x3dbl_1.call(x)));
            var bp = functional.max_pool2d(x, 3, 2);
            return cat([b3, bd, bp], 1).MoveToOuterDisposeScope();
        }
    }

    /// <summary>17×17 grid: 7×7 receptive fields from 1×7 and 7×1 convolutions, once and twice over.</summary>
    public sealed class InceptionC : Module<Tensor, Tensor>
    {
        private readonly BasicConv2d branch1x1;
        private readonly BasicConv2d branch7x7_1;
        private readonly BasicConv2d branch7x7_2;
        private readonly BasicConv2d branch7x7_3;
        private readonly BasicConv2d branch7x7dbl_1;
        private readonly BasicConv2d branch7x7dbl_2;
        private readonly BasicConv2d branch7x7dbl_3;
        private readonly BasicConv2d branch7x7dbl_4;
        private readonly BasicConv2d branch7x7dbl_5;
        private readonly BasicConv2d branch_pool;

        public InceptionC(long inChannels, long channels7x7) : base(nameof(InceptionC))
        {
            long c7 = channels7x7;
            branch1x1 = new BasicConv2d(inChannels, 192, 1);
            branch7x7_1 = new BasicConv2d(inChannels, c7, 1);
            branch7x7_2 = OneBySeven(c7, c7);
            branch7x7_3 = SevenByOne(c7, 192);
            branch7x7dbl_1 = new BasicConv2d(inChannels, c7, 1);
            branch7x7dbl_2 = SevenByOne(c7, c7);
            branch7x7dbl_3 = OneBySeven(c7, c7);
            branch7x7dbl_4 = SevenByOne(c7, c7);
            branch7x7dbl_5 = OneBySeven(c7, 192);
            branch_pool = new BasicConv2d(inChannels, 192, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var b1 = branch1x1.call(x);
            var b7 = branch7x7_3.call(branch7x7_2.call(branch7x7_1.call(x)));
            var bd = branch7x7dbl_1.call(x);
            bd = branch7x7dbl_5.call(branch7x7dbl_4.call(branch7x7dbl_3.call(branch7x7dbl_2.call(bd))));
            var bp = branch_pool.call(functional.avg_pool2d(x, 3, stride: 1, padding: 1));
            return cat([b1, b7, bd, bp], 1).MoveToOuterDisposeScope();
        }
    }

    /// <summary>17×17 to 8×8: stride-2 3×3 after a 1×1, and after a 1×7/7×1 pair, beside a max pool.</summary>
    public sealed class InceptionD : Module<Tensor, Tensor>
    {
        private readonly BasicConv2d branch3x3_1;
        private readonly BasicConv2d branch3x3_2;
        private readonly BasicConv2d branch7x7x3_1;
        private readonly BasicConv2d branch7x7x3_2;
        private readonly BasicConv2d branch7x7x3_3;
        private readonly BasicConv2d branch7x7x3_4;

        public InceptionD(long inChannels) : base(nameof(InceptionD))
        {
            branch3x3_1 = new BasicConv2d(inChannels, 192, 1);
            branch3x3_2 = new BasicConv2d(192, 320, 3, stride: 2);
            branch7x7x3_1 = new BasicConv2d(inChannels, 192, 1);
            branch7x7x3_2 = OneBySeven(192, 192);
            branch7x7x3_3 = SevenByOne(192, 192);
            branch7x7x3_4 = new BasicConv2d(192, 192, 3, stride: 2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var b3 = branch3x3_2.call(branch3x3_1.call(x));
            var b7 = branch7x7x3_4.call(branch7x7x3_3.call(branch7x7x3_2.call(branch7x7x3_1.call(x))));
            var bp = functional.max_pool2d(x, 3, 2);
            return cat([b3, b7, bp], 1).MoveToOuterDisposeScope();
        }
    }

    /// <summary>
    /// 8×8 grid: the 3×3 paths end in parallel 1×3 and 3×1 convolutions whose outputs are both
    /// kept, widening the representation where the grid is coarsest.
    /// </summary>
    public sealed class InceptionE : Module<Tensor, Tensor>
    {
        private readonly BasicConv2d branch1x1;
        private readonly BasicConv2d branch3x3_1;
        private readonly BasicConv2d branch3x3_2a;
        private readonly BasicConv2d branch3x3_2b;
        private readonly BasicConv2d branch3x3dbl_1;
        private readonly BasicConv2d branch3x3dbl_2;
        private readonly BasicConv2d branch3x3dbl_3a;
        private readonly BasicConv2d branch3x3dbl_3b;
        private readonly BasicConv2d branch_pool;

        public InceptionE(long inChannels) : base(nameof(InceptionE))
        {
            branch1x1 = new BasicConv2d(inChannels, 320, 1);
            branch3x3_1 = new BasicConv2d(inChannels, 384, 1);
            branch3x3_2a = new BasicConv2d(384, 384, (1, 3), (1, 1), (0, 1));
            branch3x3_2b = new BasicConv2d(384, 384, (3, 1), (1, 1), (1, 0));
            branch3x3dbl_1 = new BasicConv2d(inChannels, 448, 1);
            branch3x3dbl_2 = new BasicConv2d(448, 384, 3, padding: 1);
            branch3x3dbl_3a = new BasicConv2d(384, 384, (1, 3), (1, 1), (0, 1));
            branch3x3dbl_3b = new BasicConv2d(384, 384, (3, 1), (1, 1), (1, 0));
            branch_pool = new BasicConv2d(inChannels, 192, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var b1 = branch1x1.call(x);
            var s3 = branch3x3_1.call(x);
            var b3 = cat([branch3x3_2a.call(s3), branch3x3_2b.call(s3)], 1);
            var sd = branch3x3dbl_2.call(branch3x3dbl_1.call(x));
            var bd = cat([branch3x3dbl_3a.call(sd), branch3x3dbl_3b.call(sd)], 1);
            var bp = branch_pool.call(functional.avg_pool2d(x, 3, stride: 1, padding: 1));
            return cat([b1, b3, bd, bp], 1).MoveToOuterDisposeScope();
        }
    }

    /// <summary>
    /// Auxiliary classifier on the 17×17 grid: 5×5 stride-3 average pool to 5×5, 1×1 to 128 channels,
    /// a 5×5 convolution to 768 (so the input must be 299×299 or larger), then the classifier.
    /// </summary>
    public sealed class InceptionAux : AuxiliaryClassifier
    {
        private readonly BasicConv2d conv0;
        private readonly BasicConv2d conv1;
        private Linear fc;

        public InceptionAux(long inChannels, int numClasses) : base(nameof(InceptionAux))
        {
            conv0 = new BasicConv2d(inChannels, 128, 1);
            conv1 = new BasicConv2d(128, 768, 5);
            fc = Linear(768, numClasses);
            RegisterComponents();
        }

        internal Linear Classifier => fc;

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var y = conv1.call(conv0.call(functional.avg_pool2d(x, 5, stride: 3)));
            y = functional.adaptive_avg_pool2d(y, 1).flatten(1);
            return fc.call(y).MoveToOuterDisposeScope();
        }

        public override void ResetClassifier(int numClasses)
            => fc = ReplaceLinear(nameof(fc), fc, numClasses, (inFeatures, classes) => NewLinear(inFeatures, classes, AuxClassifierStd));
    }

    private static BasicConv2d OneBySeven(long inChannels, long outChannels) =>
        new(inChannels, outChannels, (1, 7), (1, 1), (0, 3));

    private static BasicConv2d SevenByOne(long inChannels, long outChannels) =>
        new(inChannels, outChannels, (7, 1), (1, 1), (3, 0));

    private readonly BasicConv2d Conv2d_1a_3x3;
    private readonly BasicConv2d Conv2d_2a_3x3;
    private readonly BasicConv2d Conv2d_2b_3x3;
    private readonly MaxPool2d maxpool1;
    private readonly BasicConv2d Conv2d_3b_1x1;
    private readonly BasicConv2d Conv2d_4a_3x3;
    private readonly MaxPool2d maxpool2;
    private readonly InceptionA Mixed_5b;
    private readonly InceptionA Mixed_5c;
    private readonly InceptionA Mixed_5d;
    private readonly InceptionB Mixed_6a;
    private readonly InceptionC Mixed_6b;
    private readonly InceptionC Mixed_6c;
    private readonly InceptionC Mixed_6d;
    private readonly InceptionC Mixed_6e;
    private readonly InceptionAux? AuxLogits;
    private readonly InceptionD Mixed_7a;
    private readonly InceptionE Mixed_7b;
    private readonly InceptionE Mixed_7c;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Dropout dropout;
    private Linear fc;

    private InceptionV3(ModelOptions options) : base(nameof(InceptionV3))
    {
        if (options.NumClasses < 1) throw new ArgumentException($"num_classes {options.NumClasses} must be at least 1");
        if (options.InChannels < 1) throw new ArgumentException($"in_channels {options.InChannels} must be at least 1");

        // Stem of plain convolutions (the paper's Table 1): 299×299 down to 35×35 with 192 channels.
        Conv2d_1a_3x3 = new BasicConv2d(options.InChannels, 32, 3, stride: 2);
        Conv2d_2a_3x3 = new BasicConv2d(32, 32, 3);
        Conv2d_2b_3x3 = new BasicConv2d(32, 64, 3, padding: 1);
        maxpool1 = MaxPool2d(3, stride: 2);
        Conv2d_3b_1x1 = new BasicConv2d(64, 80, 1);
        Conv2d_4a_3x3 = new BasicConv2d(80, 192, 3);
        maxpool2 = MaxPool2d(3, stride: 2);

        Mixed_5b = new InceptionA(192, poolFeatures: 32);
        Mixed_5c = new InceptionA(256, poolFeatures: 64);
        Mixed_5d = new InceptionA(288, poolFeatures: 64);
        Mixed_6a = new InceptionB(288);
        Mixed_6b = new InceptionC(768, channels7x7: 128);
        Mixed_6c = new InceptionC(768, channels7x7: 160);
        Mixed_6d = new InceptionC(768, channels7x7: 160);
        Mixed_6e = new InceptionC(768, channels7x7: 192);
        if (options.AuxLogits)
            AuxLogits = new InceptionAux(768, options.NumClasses);
        Mixed_7a = new InceptionD(768);
        Mixed_7b = new InceptionE(1280);
        Mixed_7c = new InceptionE(2048);

        avgpool = AdaptiveAvgPool2d(1);
        dropout = Dropout(0.5);
        fc = Linear(2048, options.NumClasses);
        RegisterComponents();

        foreach (var (_, module) in named_modules())
            InitialiseWeight(module, ReferenceEquals(module, AuxLogits?.Classifier) ? AuxClassifierStd : DefaultStd);
    }

    // torchvision's initialisation: convolution and linear weights from a normal truncated at ±2
    // (absolute, so at these widths in effect not truncated), std 0.1 except the auxiliary head's
    // classifier (0.001); biases and batch norms keep their defaults.
    private const double DefaultStd = 0.1;
    private const double AuxClassifierStd = 0.001;

    private static void InitialiseWeight(Module module, double std)
    {
        if (module is Conv2d conv) TruncatedNormal.Fill_(conv.weight!, std);
        else if (module is Linear linear) TruncatedNormal.Fill_(linear.weight!, std);
    }

    /// <summary>A classifier layer started as the constructor starts them, for <see cref="ResetClassifier"/>.</summary>
    private static Linear NewLinear(long inFeatures, long numClasses, double std)
    {
        var linear = Linear(inFeatures, numClasses);
        InitialiseWeight(linear, std);
        return linear;
    }

    public override int NumClasses => (int)fc.out_features;

    public override Tensor ForwardFeatures(Tensor images) => Backbone(images, null);

    public override Tensor ForwardHead(Tensor features)
    {
        using var scope = NewDisposeScope();
        var x = dropout.call(avgpool.call(features)).flatten(1);
        return fc.call(x).MoveToOuterDisposeScope();
    }

    /// <summary>0.4, as in Google's TF-Slim training code for Inception v3.</summary>
    public double AuxiliaryLossWeight => 0.4;

    public (Tensor Logits, IReadOnlyList<Tensor> Auxiliary) ForwardWithAuxiliary(Tensor images)
    {
        var auxiliary = new List<Tensor>();
        using var features = Backbone(images, training ? auxiliary : null);
        return (ForwardHead(features), auxiliary);
    }

    /// <summary>The network up to Mixed_7c; adds the auxiliary logits to <paramref name="auxiliary"/> if given.</summary>
    private Tensor Backbone(Tensor images, List<Tensor>? auxiliary)
    {
        using var scope = NewDisposeScope();
        var x = Conv2d_2b_3x3.call(Conv2d_2a_3x3.call(Conv2d_1a_3x3.call(images)));
        x = maxpool1.call(x);
        x = maxpool2.call(Conv2d_4a_3x3.call(Conv2d_3b_1x1.call(x)));
        x = Mixed_5d.call(Mixed_5c.call(Mixed_5b.call(x)));
        x = Mixed_6a.call(x);
        x = Mixed_6e.call(Mixed_6d.call(Mixed_6c.call(Mixed_6b.call(x))));
        if (auxiliary is not null && AuxLogits is not null)
        {
            // The head's 5×5 stride-3 pool and 5×5 convolution need at least a 17×17 grid here.
            if (x.shape[2] < 17 || x.shape[3] < 17)
                throw new ArgumentException(
                    $"Inception v3's auxiliary classifier needs a 17×17 grid at Mixed_6e, which takes a 299×299 input; " +
                    $"a {images.shape[2]}×{images.shape[3]} input gives {x.shape[2]}×{x.shape[3]} (train at 299×299 or without auxiliary heads)");
            auxiliary.Add(AuxLogits.call(x).MoveToOuterDisposeScope());
        }
        x = Mixed_7c.call(Mixed_7b.call(Mixed_7a.call(x)));
        return x.MoveToOuterDisposeScope();
    }

    protected override void ReplaceClassifier(int numClasses)
    {
        fc = ReplaceLinear(nameof(fc), fc, numClasses, (inFeatures, classes) => NewLinear(inFeatures, classes, DefaultStd));
        AuxLogits?.ResetClassifier(numClasses);
    }

    private const string Paper = "Szegedy et al., Rethinking the Inception Architecture for Computer Vision, CVPR 2016";

    /// <summary>Inception v3 with torchvision's defaults: the auxiliary head built (23,834,568 parameters without it).</summary>
    [ZooModel("inception_v3", Family = "Inception v3", Paper = Paper, Input = "3x299x299", Parameters = 27_161_264, Macs = 5_713_216_096)]
    public static ImageClassifier Inception_v3(ModelOptions o) => new InceptionV3(o);
}
