using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch.nn;

namespace VisionLab.Models;

/// <summary>Weight initialisations that several families share, each named for what it draws.</summary>
public static class Initialization
{
    /// <summary>
    /// He et al.'s normal initialisation (ICCV 2015) over each convolution's outputs — standard
    /// deviation √(2 / (out channels × kernel area)) — with zero convolution biases, and batch norms
    /// at weight 1, bias 0: how torchvision starts ResNet, VGG, the MobileNets, MNASNet and
    /// EfficientNet. Modules are visited in registration order, so a seeded build draws the same
    /// numbers in the same places whichever family calls it.
    /// </summary>
    public static void HeNormalFanOut(Module model)
    {
        foreach (var (_, module) in model.named_modules())
        {
            switch (module)
            {
                case Convolution conv:
                    init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                    if (conv.bias is not null) init.zeros_(conv.bias);
                    break;
                case BatchNorm2d norm:
                    init.ones_(norm.weight);
                    init.zeros_(norm.bias);
                    break;
            }
        }
    }
}
