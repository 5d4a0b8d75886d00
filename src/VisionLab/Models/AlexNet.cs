using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models;

/// <summary>
/// AlexNet — Krizhevsky, Sutskever, Hinton, "ImageNet Classification with Deep Convolutional
/// Neural Networks", NeurIPS 2012 — in the single-tower form of Krizhevsky's "One weird trick for
/// parallelizing convolutional neural networks" (2014), which torchvision implements: five
/// convolutions of 64, 192, 384, 256 and 256 maps (the 2012 net split 96/256/384/384/256 maps over
/// two GPUs), no local response normalisation, then three fully connected layers with dropout.
/// An adaptive average pool to 6×6 before the classifier, as in torchvision, lets inputs other than
/// 224×224 through (down to 63×63) while keeping the classifier's shape. Names, shapes and PyTorch's
/// default initialisation follow torchvision, whose weights therefore load unchanged.
/// </summary>
public sealed class AlexNet : ImageClassifier
{
    private const double DropoutRate = 0.5;
    private const long PooledSize = 6;

    private readonly Sequential features;
    private readonly AdaptiveAvgPool2d avgpool;
    private Sequential classifier;

    public AlexNet(int numClasses = 1000, int inChannels = 3) : base(nameof(AlexNet))
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, $"AlexNet needs at least one class, not {numClasses}");
        if (inChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, $"AlexNet needs at least one input channel, not {inChannels}");

        // The indices are torchvision's state-dict keys (features.0.weight ...), so the
        // parameter-free layers keep their places too.
        features = Sequential(
            ("0", Conv2d(inChannels, 64, kernel_size: 11, stride: 4, padding: 2)),
            ("1", ReLU(inplace: true)),
            ("2", MaxPool2d(kernel_size: 3, stride: 2)),
            ("3", Conv2d(64, 192, kernel_size: 5, padding: 2)),
            ("4", ReLU(inplace: true)),
            ("5", MaxPool2d(kernel_size: 3, stride: 2)),
            ("6", Conv2d(192, 384, kernel_size: 3, padding: 1)),
            ("7", ReLU(inplace: true)),
            ("8", Conv2d(384, 256, kernel_size: 3, padding: 1)),
            ("9", ReLU(inplace: true)),
            ("10", Conv2d(256, 256, kernel_size: 3, padding: 1)),
            ("11", ReLU(inplace: true)),
            ("12", MaxPool2d(kernel_size: 3, stride: 2)));
        avgpool = AdaptiveAvgPool2d(new[] { PooledSize, PooledSize });
        classifier = Sequential(
            ("0", Dropout(DropoutRate)),
            ("1", Linear(256 * PooledSize * PooledSize, 4096)),
            ("2", ReLU(inplace: true)),
            ("3", Dropout(DropoutRate)),
            ("4", Linear(4096, 4096)),
            ("5", ReLU(inplace: true)),
            ("6", Linear(4096, numClasses)));
        RegisterComponents();
    }

    private Linear LastLayer => (Linear)classifier.named_children().Last().module;

    public override int NumClasses => (int)LastLayer.out_features;

    public override Tensor ForwardFeatures(Tensor images) => features.call(images);

    public override Tensor ForwardHead(Tensor features)
    {
        using var scope = NewDisposeScope();
        var x = avgpool.call(features).flatten(1);
        return classifier.call(x).MoveToOuterDisposeScope();
    }

    protected override void ReplaceClassifier(int numClasses)
    {
        classifier = ReplaceLinearIn(nameof(classifier), classifier, classifier.named_children().Last().name, numClasses);
    }

    [ZooModel("alexnet", Family = "AlexNet", Paper = "Krizhevsky et al., ImageNet Classification with Deep Convolutional Neural Networks, NeurIPS 2012",
        Input = "3x224x224", Parameters = 61_100_840, Macs = 714_188_480)]
    public static ImageClassifier Build(ModelOptions o) => new AlexNet(o.NumClasses, o.InChannels);
}
