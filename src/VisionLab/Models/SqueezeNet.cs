using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models;

/// <summary>
/// SqueezeNet — Iandola, Han, Moskewicz, Ashraf, Dally, Keutzer, "SqueezeNet: AlexNet-level
/// accuracy with 50x fewer parameters and &lt;0.5MB model size", 2016. Fire modules save parameters
/// by squeezing the channels with 1×1 convolutions before expanding them with a mix of 1×1 and 3×3
/// ones; there are no fully connected layers: a 1×1 convolution gives one map per class and a
/// global average pool turns the maps into logits. Version 1.0 is the paper's network; version 1.1
/// (from the authors' repository) has a 3×3, 64-map first convolution and pools earlier, for about
/// 2.4× less computation at the same accuracy. Names, shapes and initialisation follow torchvision,
/// whose weights therefore load unchanged.
/// </summary>
public sealed class SqueezeNet : ImageClassifier
{
    /// <summary>
    /// Squeeze to few channels with 1×1 convolutions, then expand with 1×1 and 3×3 convolutions side
    /// by side and concatenate: the output has expand1x1 + expand3x3 channels.
    /// </summary>
    public sealed class Fire : Module<Tensor, Tensor>
    {
        private readonly Conv2d squeeze;
        [ComponentName(Name = "squeeze_activation")] private readonly ReLU squeezeActivation;
        private readonly Conv2d expand1x1;
        [ComponentName(Name = "expand1x1_activation")] private readonly ReLU expand1x1Activation;
        private readonly Conv2d expand3x3;
        [ComponentName(Name = "expand3x3_activation")] private readonly ReLU expand3x3Activation;

        public Fire(long inPlanes, long squeezePlanes, long expand1x1Planes, long expand3x3Planes) : base(nameof(Fire))
        {
            if (inPlanes < 1 || squeezePlanes < 1 || expand1x1Planes < 1 || expand3x3Planes < 1)
                throw new ArgumentException($"a fire module needs positive widths, not in {inPlanes}, squeeze {squeezePlanes}, " +
                                            $"expand 1x1 {expand1x1Planes}, expand 3x3 {expand3x3Planes}");
            squeeze = Conv2d(inPlanes, squeezePlanes, kernel_size: 1);
            squeezeActivation = ReLU(inplace: true);
            expand1x1 = Conv2d(squeezePlanes, expand1x1Planes, kernel_size: 1);
            expand1x1Activation = ReLU(inplace: true);
            expand3x3 = Conv2d(squeezePlanes, expand3x3Planes, kernel_size: 3, padding: 1);
            expand3x3Activation = ReLU(inplace: true);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var squeezed = squeezeActivation.call(squeeze.call(x));
            var narrow = expand1x1Activation.call(expand1x1.call(squeezed));
            var wide = expand3x3Activation.call(expand3x3.call(squeezed));
            return cat([narrow, wide], 1).MoveToOuterDisposeScope();
        }
    }

    private const double DropoutRate = 0.5;
    /// <summary>Channels out of the last fire module in both versions.</summary>
    private const long FeatureChannels = 512;

    private readonly Sequential features;
    private Sequential classifier;

    private SqueezeNet(bool version1_1, ModelOptions options) : base(nameof(SqueezeNet))
    {
        if (options.NumClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.NumClasses, $"SqueezeNet needs at least one class, not {options.NumClasses}");
        if (options.InChannels < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.InChannels, $"SqueezeNet needs at least one input channel, not {options.InChannels}");

        // Pools round up (ceil mode) as in the original Caffe model, so no border row is dropped.
        // The indices are torchvision's state-dict keys (features.3.squeeze.weight ...).
        features = version1_1
            ? Sequential(
                ("0", Conv2d(options.InChannels, 64, kernel_size: 3, stride: 2)),
                ("1", ReLU(inplace: true)),
                ("2", MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true)),
                ("3", new Fire(64, 16, 64, 64)),
                ("4", new Fire(128, 16, 64, 64)),
                ("5", MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true)),
                ("6", new Fire(128, 32, 128, 128)),
                ("7", new Fire(256, 32, 128, 128)),
                ("8", MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true)),
                ("9", new Fire(256, 48, 192, 192)),
                ("10", new Fire(384, 48, 192, 192)),
                ("11", new Fire(384, 64, 256, 256)),
                ("12", new Fire(512, 64, 256, 256)))
            : Sequential(
                ("0", Conv2d(options.InChannels, 96, kernel_size: 7, stride: 2)),
                ("1", ReLU(inplace: true)),
                ("2", MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true)),
                ("3", new Fire(96, 16, 64, 64)),
                ("4", new Fire(128, 16, 64, 64)),
                ("5", new Fire(128, 32, 128, 128)),
                ("6", MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true)),
                ("7", new Fire(256, 32, 128, 128)),
                ("8", new Fire(256, 48, 192, 192)),
                ("9", new Fire(384, 48, 192, 192)),
                ("10", new Fire(384, 64, 256, 256)),
                ("11", MaxPool2d(kernel_size: 3, stride: 2, ceil_mode: true)),
                ("12", new Fire(512, 64, 256, 256)));
        var finalConv = FinalConv(FeatureChannels, options.NumClasses);
        classifier = Classifier(finalConv);
        RegisterComponents();

        // He-uniform for every convolution but the class maps, which start small (FinalConv) so the
        // initial logits are near zero.
        foreach (var (_, module) in named_modules())
        {
            if (module is Conv2d conv && !ReferenceEquals(conv, finalConv))
            {
                init.kaiming_uniform_(conv.weight);
                init.zeros_(conv.bias);
            }
        }
    }

    private static Conv2d FinalConv(long inChannels, int numClasses)
    {
        var conv = Conv2d(inChannels, numClasses, kernel_size: 1);
        init.normal_(conv.weight, 0, 0.01);
        init.zeros_(conv.bias);
        return conv;
    }

    // Dropout after the last fire module as in the paper, the class maps, and a global average pool;
    // numbered as torchvision's classifier.0 ... classifier.3.
    private static Sequential Classifier(Conv2d finalConv) => Sequential(
        ("0", Dropout(DropoutRate)),
        (FinalConvName, finalConv),
        ("2", ReLU(inplace: true)),
        ("3", AdaptiveAvgPool2d(new[] { 1L, 1L })));

    private const string FinalConvName = "1";

    private Conv2d FinalConvLayer => (Conv2d)classifier.named_children().Single(c => c.name == FinalConvName).module;

    public override int NumClasses => (int)FinalConvLayer.out_channels;

    public override Tensor ForwardFeatures(Tensor images) => features.call(images);

    public override Tensor ForwardHead(Tensor features)
    {
        using var pooled = classifier.call(features);
        return pooled.flatten(1);
    }

    protected override void ReplaceClassifier(int numClasses)
    {
        var old = FinalConvLayer;
        classifier = ReplaceInSequential(nameof(classifier), classifier, FinalConvName,
            FinalConv(old.in_channels, numClasses).to(old.weight!.device));
        old.Dispose();
    }

    private const string SqueezeNetPaper = "Iandola et al., SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size, 2016";

    [ZooModel("squeezenet1_0", Family = "SqueezeNet", Paper = SqueezeNetPaper, Input = "3x224x224", Parameters = 1_248_424, Macs = 818_924_576)]
    public static ImageClassifier SqueezeNet1_0(ModelOptions o) => new SqueezeNet(version1_1: false, o);

    [ZooModel("squeezenet1_1", Family = "SqueezeNet", Paper = SqueezeNetPaper, Input = "3x224x224", Parameters = 1_235_496, Macs = 349_151_936)]
    public static ImageClassifier SqueezeNet1_1(ModelOptions o) => new SqueezeNet(version1_1: true, o);
}
