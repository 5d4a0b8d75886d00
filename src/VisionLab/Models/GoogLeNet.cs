using TorchSharp;
using TorchSharp.Modules;
using VisionLab.Models.Blocks;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models;

/// <summary>
/// A network with auxiliary classifiers: side heads on intermediate feature maps whose losses,
/// added to the main loss in training, push gradient into the lower layers (and regularise).
/// <c>forward</c> returns only the main logits, so everything that only predicts ignores the heads;
/// a trainer that wants the extra losses calls <see cref="ForwardWithAuxiliary"/>. Weights for
/// those losses: GoogLeNet's paper adds each of its two at 0.3; Inception v3's single head is
/// weighted 0.4, as in Google's TF-Slim training code for it.
/// </summary>
public interface IAuxiliaryClassifiers
{
    /// <summary>
    /// The main logits and, in training mode with auxiliary heads built, each head's logits in
    /// order of depth (torchvision's GoogLeNet tuple lists the deeper one first). In eval mode,
    /// or without the heads, the list is empty: the heads are only a training signal.
    /// </summary>
    (Tensor Logits, IReadOnlyList<Tensor> Auxiliary) ForwardWithAuxiliary(Tensor images);

    /// <summary>Weight of each auxiliary loss relative to the main one.</summary>
    double AuxiliaryLossWeight { get; }
}

/// <summary>An auxiliary head whose last layer can be swapped for a new number of classes.</summary>
public abstract class AuxiliaryClassifier(string name) : ComposedModule(name)
{
    /// <summary>Replaces the head's last layer with a freshly initialised one.</summary>
    public abstract void ResetClassifier(int numClasses);
}

/// <summary>
/// GoogLeNet (Inception v1) — Szegedy et al., "Going Deeper with Convolutions", CVPR 2015 — as
/// torchvision builds it, so its weights load unchanged. Two departures from the paper come with
/// it: every convolution is followed by batch norm (which the paper predates), and the "5×5"
/// branch of each Inception module uses a 3×3 kernel, a known slip in torchvision's port
/// (pytorch/vision#906) kept so that its weights still load. torchvision's <c>transform_input</c> is off unless its pretrained
/// weights are requested, so this network takes the input as it comes.
/// </summary>
public sealed class GoogLeNet : ImageClassifier, IAuxiliaryClassifiers
{
    /// <summary>
    /// Four parallel branches — 1×1; 1×1 reduce then 3×3; 1×1 reduce then "5×5"; 3×3 max pool then
    /// 1×1 projection — concatenated along channels. The 1×1 reductions are what make the wide
    /// module affordable.
    /// </summary>
    public sealed class Inception : Module<Tensor, Tensor>
    {
        private readonly BasicConv2d branch1;
        private readonly Sequential branch2;
        private readonly Sequential branch3;
        private readonly Sequential branch4;

        public Inception(long inChannels, long ch1x1, long ch3x3Reduce, long ch3x3, long ch5x5Reduce, long ch5x5, long poolProjection)
            : base(nameof(Inception))
        {
            branch1 = new BasicConv2d(inChannels, ch1x1, 1);
            branch2 = Sequential(("0", new BasicConv2d(inChannels, ch3x3Reduce, 1)),
                                 ("1", new BasicConv2d(ch3x3Reduce, ch3x3, 3, padding: 1)));
            // 3×3 where the paper has 5×5: torchvision's weights have this shape.
            branch3 = Sequential(("0", new BasicConv2d(inChannels, ch5x5Reduce, 1)),
                                 ("1", new BasicConv2d(ch5x5Reduce, ch5x5, 3, padding: 1)));
            branch4 = Sequential(("0", MaxPool2d(3, stride: 1, padding: 1, ceil_mode: true)),
                                 ("1", new BasicConv2d(inChannels, poolProjection, 1)));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            return cat([branch1.call(x), branch2.call(x), branch3.call(x), branch4.call(x)], 1).MoveToOuterDisposeScope();
        }
    }

    /// <summary>
    /// Auxiliary classifier on inception4a and inception4d: pool to 4×4 whatever the input size,
    /// 1×1 convolution to 128 channels, a 1024-unit hidden layer with heavy (0.7) dropout.
    /// </summary>
    public sealed class InceptionAux : AuxiliaryClassifier
    {
        private readonly BasicConv2d conv;
        private readonly Linear fc1;
        private Linear fc2;
        private readonly Dropout dropout;

        public InceptionAux(long inChannels, int numClasses, double dropout = 0.7) : base(nameof(InceptionAux))
        {
            conv = new BasicConv2d(inChannels, 128, 1);
            fc1 = Linear(128 * 4 * 4, 1024);
            fc2 = Linear(1024, numClasses);
            this.dropout = Dropout(dropout);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var y = conv.call(functional.adaptive_avg_pool2d(x, [4, 4])).flatten(1);
            y = dropout.call(GuidedRelu.ReluInPlace(fc1.call(y)));
            return fc2.call(y).MoveToOuterDisposeScope();
        }

        public override void ResetClassifier(int numClasses)
            => fc2 = ReplaceLinear(nameof(fc2), fc2, numClasses, NewLinear);
    }

    private readonly BasicConv2d conv1;
    private readonly MaxPool2d maxpool1;
    private readonly BasicConv2d conv2;
    private readonly BasicConv2d conv3;
    private readonly MaxPool2d maxpool2;
    private readonly Inception inception3a;
    private readonly Inception inception3b;
    private readonly MaxPool2d maxpool3;
    private readonly Inception inception4a;
    private readonly Inception inception4b;
    private readonly Inception inception4c;
    private readonly Inception inception4d;
    private readonly Inception inception4e;
    private readonly MaxPool2d maxpool4;
    private readonly Inception inception5a;
    private readonly Inception inception5b;
    private readonly InceptionAux? aux1;
    private readonly InceptionAux? aux2;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Dropout dropout;
    private Linear fc;

    private GoogLeNet(ModelOptions options) : base(nameof(GoogLeNet))
    {
        if (options.NumClasses < 1) throw new ArgumentException($"num_classes {options.NumClasses} must be at least 1");
        if (options.InChannels < 1) throw new ArgumentException($"in_channels {options.InChannels} must be at least 1");

        // Stem: a 7×7 stride-2 convolution and pools that round up (ceil_mode, as Caffe's pooling,
        // which the original model used): a 224×224 image is 28×28 at inception3a.
        conv1 = new BasicConv2d(options.InChannels, 64, 7, stride: 2, padding: 3);
        maxpool1 = MaxPool2d(3, stride: 2, ceil_mode: true);
        conv2 = new BasicConv2d(64, 64, 1);
        conv3 = new BasicConv2d(64, 192, 3, padding: 1);
        maxpool2 = MaxPool2d(3, stride: 2, ceil_mode: true);

        // Table 1 of the paper: in, #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj.
        inception3a = new Inception(192, 64, 96, 128, 16, 32, 32);
        inception3b = new Inception(256, 128, 128, 192, 32, 96, 64);
        maxpool3 = MaxPool2d(3, stride: 2, ceil_mode: true);
        inception4a = new Inception(480, 192, 96, 208, 16, 48, 64);
        inception4b = new Inception(512, 160, 112, 224, 24, 64, 64);
        inception4c = new Inception(512, 128, 128, 256, 24, 64, 64);
        inception4d = new Inception(512, 112, 144, 288, 32, 64, 64);
        inception4e = new Inception(528, 256, 160, 320, 32, 128, 128);
        maxpool4 = MaxPool2d(2, stride: 2, ceil_mode: true);
        inception5a = new Inception(832, 256, 160, 320, 32, 128, 128);
        inception5b = new Inception(832, 384, 192, 384, 48, 128, 128);

        if (options.AuxLogits)
        {
            aux1 = new InceptionAux(512, options.NumClasses);
            aux2 = new InceptionAux(528, options.NumClasses);
        }

        avgpool = AdaptiveAvgPool2d(1);
        dropout = Dropout(0.2);
        fc = Linear(1024, options.NumClasses);
        RegisterComponents();

        foreach (var (_, module) in named_modules())
            InitialiseWeight(module);
    }

    /// <summary>
    /// torchvision's initialisation: convolution and linear weights from a normal with std 0.01,
    /// truncated at ±2 (absolute, i.e. 200σ — in effect not truncated); biases and batch norms keep
    /// their defaults (uniform fan-in biases; scale 1, shift 0).
    /// </summary>
    private static void InitialiseWeight(Module module)
    {
        if (module is Conv2d conv) TruncatedNormal.Fill_(conv.weight!, 0.01);
        else if (module is Linear linear) TruncatedNormal.Fill_(linear.weight!, 0.01);
    }

    /// <summary>A classifier layer started as the constructor starts them, for <see cref="ResetClassifier"/>.</summary>
    private static Linear NewLinear(long inFeatures, long numClasses)
    {
        var linear = Linear(inFeatures, numClasses);
        InitialiseWeight(linear);
        return linear;
    }

    public override int NumClasses => (int)fc.out_features;

    public override Tensor ForwardFeatures(Tensor images) => Backbone(images, null);

    public override Tensor ForwardHead(Tensor features)
    {
        using var scope = NewDisposeScope();
        var x = avgpool.call(features).flatten(1);
        return fc.call(dropout.call(x)).MoveToOuterDisposeScope();
    }

    /// <summary>Szegedy et al. 2015, section 5: each auxiliary loss is added with weight 0.3.</summary>
    public double AuxiliaryLossWeight => 0.3;

    public (Tensor Logits, IReadOnlyList<Tensor> Auxiliary) ForwardWithAuxiliary(Tensor images)
    {
        var auxiliary = new List<Tensor>();
        using var features = Backbone(images, training ? auxiliary : null);
        return (ForwardHead(features), auxiliary);
    }

    /// <summary>The network up to inception5b; adds the auxiliary logits to <paramref name="auxiliary"/> if given.</summary>
    private Tensor Backbone(Tensor images, List<Tensor>? auxiliary)
    {
        using var scope = NewDisposeScope();
        var x = maxpool1.call(conv1.call(images));
        x = maxpool2.call(conv3.call(conv2.call(x)));
        x = maxpool3.call(inception3b.call(inception3a.call(x)));
        x = inception4a.call(x);
        if (auxiliary is not null && aux1 is not null) auxiliary.Add(aux1.call(x).MoveToOuterDisposeScope());
        x = inception4d.call(inception4c.call(inception4b.call(x)));
        if (auxiliary is not null && aux2 is not null) auxiliary.Add(aux2.call(x).MoveToOuterDisposeScope());
        x = maxpool4.call(inception4e.call(x));
        x = inception5b.call(inception5a.call(x));
        return x.MoveToOuterDisposeScope();
    }

    protected override void ReplaceClassifier(int numClasses)
    {
        fc = ReplaceLinear(nameof(fc), fc, numClasses, NewLinear);
        aux1?.ResetClassifier(numClasses);
        aux2?.ResetClassifier(numClasses);
    }

    private const string Paper = "Szegedy et al., Going Deeper with Convolutions, CVPR 2015";

    /// <summary>
    /// GoogLeNet with torchvision's defaults: auxiliary heads built (13,004,888 parameters; 6,624,904
    /// without them, torchvision's published figure, which leaves them out).
    /// </summary>
    [ZooModel("googlenet", Family = "GoogLeNet", Paper = Paper, Input = "3x224x224", Parameters = 13_004_888, Macs = 1_498_376_192)]
    public static ImageClassifier Googlenet(ModelOptions o) => new GoogLeNet(o);
}
