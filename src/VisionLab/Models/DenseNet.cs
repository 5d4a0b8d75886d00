using TorchSharp;
using TorchSharp.Modules;
using VisionLab.Models.Blocks;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models;

/// <summary>
/// DenseNet — Huang, Liu, van der Maaten, Weinberger, "Densely Connected Convolutional Networks",
/// CVPR 2017 — in its DenseNet-BC form: every layer of a dense block sees the concatenated maps of
/// all layers before it and adds <c>growthRate</c> new ones, through a 1×1 bottleneck ("B") of
/// <c>bnSize × growthRate</c> channels; transitions between blocks halve the channels ("C",
/// compression 0.5) and the resolution. Names, shapes, module order and initialisation follow
/// torchvision, whose state dicts therefore load unchanged.
/// </summary>
public sealed class DenseNet : ImageClassifier
{
    /// <summary>
    /// One composite function H_ℓ: BN-ReLU-1×1 conv (the bottleneck) then BN-ReLU-3×3 conv, giving
    /// <c>growthRate</c> maps. Its input is the concatenation of the block input and all earlier
    /// layers' outputs, which the block makes.
    /// </summary>
    public sealed class DenseLayer : Module<Tensor, Tensor>
    {
        private readonly BatchNorm2d norm1;
        private readonly Conv2d conv1;
        private readonly BatchNorm2d norm2;
        private readonly Conv2d conv2;
        private readonly double dropRate;

        public DenseLayer(long inputFeatures, long growthRate, long bnSize, double dropRate) : base(nameof(DenseLayer))
        {
            norm1 = new BatchNorm2d(inputFeatures);
            conv1 = Conv2d(inputFeatures, bnSize * growthRate, 1, bias: false);
            norm2 = new BatchNorm2d(bnSize * growthRate);
            conv2 = Conv2d(bnSize * growthRate, growthRate, 3, padding: 1, bias: false);
            this.dropRate = dropRate;
            RegisterComponents();
        }

        public override Tensor forward(Tensor concatenated)
        {
            using var scope = NewDisposeScope();
            // ReLU in place is safe: batch norm's backward needs its input, not its output.
            var y = conv1.call(GuidedRelu.ReluInPlace(norm1.call(concatenated)));
            y = conv2.call(GuidedRelu.ReluInPlace(norm2.call(y)));
            if (dropRate > 0)
                y = functional.dropout(y, dropRate, training);
            return y.MoveToOuterDisposeScope();
        }
    }

    /// <summary>
    /// Layers <c>denselayer1..n</c>, layer i seeing <c>inputFeatures + (i-1)·growthRate</c> maps;
    /// the block returns all of them concatenated.
    /// </summary>
    public sealed class DenseBlock : Module<Tensor, Tensor>
    {
        private readonly DenseLayer[] layers;

        public DenseBlock(int numLayers, long inputFeatures, long growthRate, long bnSize, double dropRate) : base(nameof(DenseBlock))
        {
            layers = new DenseLayer[numLayers];
            for (int i = 0; i < numLayers; i++)
            {
                layers[i] = new DenseLayer(inputFeatures + i * growthRate, growthRate, bnSize, dropRate);
                register_module($"denselayer{i + 1}", layers[i]);
            }
        }

        public override Tensor forward(Tensor input)
        {
            // Each layer's concatenated input is a fresh copy that grows with depth: free it as soon as
            // the layer has used it (autograd keeps what backward needs), and let the scope free the
            // layers' own maps once the block's output holds copies of them.
            using var scope = NewDisposeScope();
            var features = new List<Tensor>(layers.Length + 1) { input };
            foreach (var layer in layers)
            {
                using var concatenated = cat(features, 1);
                features.Add(layer.call(concatenated));
            }
            return cat(features, 1).MoveToOuterDisposeScope();
        }
    }

    /// <summary>BN-ReLU-1×1 conv to <c>outputFeatures</c> maps, then 2×2 average pooling.</summary>
    public sealed class Transition : Module<Tensor, Tensor>
    {
        private readonly BatchNorm2d norm;
        private readonly Conv2d conv;

        public Transition(long inputFeatures, long outputFeatures) : base(nameof(Transition))
        {
            norm = new BatchNorm2d(inputFeatures);
            conv = Conv2d(inputFeatures, outputFeatures, 1, bias: false);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var y = conv.call(GuidedRelu.ReluInPlace(norm.call(x)));
            return functional.avg_pool2d(y, 2, 2).MoveToOuterDisposeScope();
        }
    }

    private readonly Sequential features;
    private Linear classifier;

    /// <param name="growthRate">Maps each dense layer adds (the paper's k).</param>
    /// <param name="blockConfig">Dense layers in each block.</param>
    /// <param name="initFeatures">Maps of the stem convolution.</param>
    /// <param name="bnSize">Bottleneck width as a multiple of the growth rate (4 in the paper).</param>
    /// <param name="dropRate">Dropout after each dense layer in training; 0 as in torchvision.</param>
    public DenseNet(int growthRate, int[] blockConfig, int initFeatures, ModelOptions options, int bnSize = 4, double dropRate = 0)
        : base(nameof(DenseNet))
    {
        if (growthRate < 1) throw new ArgumentException($"growth rate {growthRate} must be at least 1", nameof(growthRate));
        if (blockConfig.Length == 0 || blockConfig.Any(n => n < 1))
            throw new ArgumentException($"DenseNet takes at least one block of at least one layer, not [{string.Join(", ", blockConfig)}]", nameof(blockConfig));
        if (initFeatures < 1) throw new ArgumentException($"initial features {initFeatures} must be at least 1", nameof(initFeatures));
        if (bnSize < 1) throw new ArgumentException($"bottleneck size {bnSize} must be at least 1", nameof(bnSize));
        if (!(dropRate >= 0 && dropRate < 1)) throw new ArgumentException($"drop rate {dropRate} must be in [0, 1)", nameof(dropRate));
        if (options.NumClasses < 1) throw new ArgumentException($"num_classes {options.NumClasses} must be at least 1", nameof(options));
        if (options.InChannels < 1) throw new ArgumentException($"in_channels {options.InChannels} must be at least 1", nameof(options));

        // Stem as in ResNet: 7×7 stride-2 convolution and 3×3 stride-2 max pool, a quarter of the input size.
        var layers = new List<(string, Module<Tensor, Tensor>)>
        {
            ("conv0", Conv2d(options.InChannels, initFeatures, 7, stride: 2, padding: 3, bias: false)),
            ("norm0", new BatchNorm2d(initFeatures)),
            ("relu0", ReLU(inplace: true)),
            ("pool0", MaxPool2d(3, stride: 2, padding: 1)),
        };
        long channels = initFeatures;
        for (int i = 0; i < blockConfig.Length; i++)
        {
            layers.Add(($"denseblock{i + 1}", new DenseBlock(blockConfig[i], channels, growthRate, bnSize, dropRate)));
            channels += blockConfig[i] * (long)growthRate;
            if (i != blockConfig.Length - 1)
            {
                layers.Add(($"transition{i + 1}", new Transition(channels, channels / 2)));
                channels /= 2;
            }
        }
        // Layers are pre-activation (BN-ReLU before each convolution), so the last block's output is
        // raw convolution maps; norm5 and the ReLU in ForwardFeatures are the classifier's BN-ReLU.
        layers.Add(("norm5", new BatchNorm2d(channels)));
        features = Sequential(layers);
        classifier = NewClassifier(channels, options.NumClasses);
        RegisterComponents();

        foreach (var (_, module) in named_modules())
        {
            switch (module)
            {
                // torchvision's defaults: fan-in, gain √2 (leaky ReLU with slope 0, i.e. ReLU).
                case Conv2d conv:
                    init.kaiming_normal_(conv.weight);
                    break;
                case BatchNorm2d norm:
                    init.ones_(norm.weight);
                    init.zeros_(norm.bias);
                    break;
            }
        }
    }

    /// <summary>A linear layer with zero bias, as torchvision initialises DenseNet's classifier.</summary>
    private static Linear NewClassifier(long inFeatures, long numClasses)
    {
        var linear = Linear(inFeatures, numClasses);
        init.zeros_(linear.bias);
        return linear;
    }

    public override int NumClasses => (int)classifier.out_features;

    /// <summary>
    /// The <c>features</c> stack through <c>norm5</c>, then the ReLU that torchvision applies in its
    /// forward. The ReLU belongs here rather than in the head so that the maps Grad-CAM and feature
    /// extraction see are the rectified activations the classifier pools, as ResNet's last stage
    /// (which ends in a ReLU) gives them; the state dict is unaffected, the ReLU has no parameters.
    /// </summary>
    public override Tensor ForwardFeatures(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = GuidedRelu.ReluInPlace(features.call(images));
        return x.MoveToOuterDisposeScope();
    }

    public override Tensor ForwardHead(Tensor features) => ClassifyPooled(features, classifier);

    protected override void ReplaceClassifier(int numClasses)
        => classifier = ReplaceLinear(nameof(classifier), classifier, numClasses, NewClassifier);

    private const string Paper = "Huang et al., Densely Connected Convolutional Networks, CVPR 2017";

    [ZooModel("densenet121", Family = "DenseNet", Paper = Paper, Input = "3x224x224", Parameters = 7_978_856, Macs = 2_834_161_664)]
    public static ImageClassifier DenseNet121(ModelOptions o) => new DenseNet(32, [6, 12, 24, 16], 64, o);

    // The widest variant: k = 48 and a 96-map stem.
    [ZooModel("densenet161", Family = "DenseNet", Paper = Paper, Input = "3x224x224", Parameters = 28_681_000, Macs = 7_727_907_072)]
    public static ImageClassifier DenseNet161(ModelOptions o) => new DenseNet(48, [6, 12, 36, 24], 96, o);

    [ZooModel("densenet169", Family = "DenseNet", Paper = Paper, Input = "3x224x224", Parameters = 14_149_480, Macs = 3_359_843_328)]
    public static ImageClassifier DenseNet169(ModelOptions o) => new DenseNet(32, [6, 12, 32, 32], 64, o);

    [ZooModel("densenet201", Family = "DenseNet", Paper = Paper, Input = "3x224x224", Parameters = 20_013_928, Macs = 4_291_365_888)]
    public static ImageClassifier DenseNet201(ModelOptions o) => new DenseNet(32, [6, 12, 48, 32], 64, o);
}
