using TorchSharp;
using TorchSharp.Modules;
using VisionLab.Models.Blocks;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models;

/// <summary>
/// LeNet-5 — LeCun, Bottou, Bengio, Haffner, "Gradient-Based Learning Applied to Document
/// Recognition", Proc. IEEE 1998. Two 5×5 convolutions (6 and 16 maps) each followed by 2×2
/// subsampling, then fully connected layers of 120, 84 and the class count.
/// The paper's input is 32×32; MNIST-style 28×28 images get padding 2 on the first convolution,
/// which gives the same 28×28 C1 maps. As in today's common reading of the network, ReLU and max
/// pooling replace the paper's scaled tanh and trainable average subsampling, and the C3 layer
/// connects every S2 map (the paper wires a sparse table to save 1998's compute).
/// </summary>
public sealed class LeNet5 : ImageClassifier
{
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Linear fc1;
    private readonly Linear fc2;
    private Linear fc3;

    public LeNet5(int numClasses = 10, int inChannels = 1) : base(nameof(LeNet5))
    {
        conv1 = Conv2d(inChannels, 6, kernel_size: 5, padding: 2);
        conv2 = Conv2d(6, 16, kernel_size: 5);
        fc1 = Linear(16 * 5 * 5, 120);
        fc2 = Linear(120, 84);
        fc3 = Linear(84, numClasses);
        RegisterComponents();
    }

    public override int NumClasses => (int)fc3.out_features;

    public override Tensor ForwardFeatures(Tensor images)
    {
        using var c1 = GuidedRelu.Relu(conv1.call(images));
        using var s2 = functional.max_pool2d(c1, 2);
        using var c3 = GuidedRelu.Relu(conv2.call(s2));
        return functional.max_pool2d(c3, 2);
    }

    public override Tensor ForwardHead(Tensor features)
    {
        using var flat = features.flatten(1);
        using var f5 = GuidedRelu.Relu(fc1.call(flat));
        using var f6 = GuidedRelu.Relu(fc2.call(f5));
        return fc3.call(f6);
    }

    protected override void ReplaceClassifier(int numClasses)
        => fc3 = ReplaceLinear(nameof(fc3), fc3, numClasses);

    [ZooModel("lenet5", Family = "LeNet", Paper = "LeCun et al., Gradient-Based Learning Applied to Document Recognition, 1998", Input = "1x28x28", Classes = 10, Parameters = 61_706, Macs = 416_520)]
    public static ImageClassifier Build(ModelOptions options) => new LeNet5(options.NumClasses, options.InChannels);
}
