using TorchSharp;
using TorchSharp.Modules;
using VisionLab.Models.Blocks;
using static TorchSharp.torch;

namespace VisionLab.Runtime;

/// <summary>
/// Lets training run its convolutions on oneDNN wherever that is right: about 6× faster than
/// libtorch's own kernels for a ResNet on a CPU, and the difference between a CPU training run taking
/// an hour and an afternoon. Every convolution of the model is hooked; before it runs, its geometry
/// is checked once (<see cref="OneDnnVerification"/>), and a right one runs on oneDNN, a wrong one on
/// libtorch's kernels. libtorch picks backward kernels when the backward pass runs, under one
/// process-wide switch, so <see cref="Backward"/> runs a step's whole backward pass on oneDNN when
/// every convolution of its forward pass was right there, and on libtorch's kernels otherwise.
/// <para>
/// Depthwise convolutions route themselves (<see cref="DepthwiseConv2d"/>) and are left alone.
/// Convolutions of modules not routed run on libtorch's kernels, as does anything while no hooked
/// convolution is in flight.
/// </para>
/// </summary>
public sealed class OneDnnTrainingRouting : IDisposable
{
    private readonly List<Action> removers = [];
    private int entered;
    private bool wrongSinceBackward;

    private OneDnnTrainingRouting(IEnumerable<nn.Module> models)
    {
        // named_modules leaves out the module itself, which may be a convolution.
        foreach (var module in models.SelectMany(m => m.named_modules().Select(n => n.module).Prepend(m)))
        {
            if (module is not Convolution conv || conv is DepthwiseConv2d) continue;
            bool onOneDnn = false;
            removers.Add(conv.register_forward_pre_hook((_, input) =>
            {
                if (input.dtype != ScalarType.Float32 || input.device_type != DeviceType.CPU) return input;
                onOneDnn = OneDnnVerification.IsRightOnOneDnn(conv, input.shape);
                if (onOneDnn)
                {
                    entered++;
                    ConvolutionBackend.EnterOneDnn();
                }
                else if (is_grad_enabled())
                {
                    wrongSinceBackward = true;
                    RejectedCalls++;
                }
                return input;
            }).remove);
            removers.Add(conv.register_forward_hook((_, _, output) =>
            {
                if (onOneDnn)
                {
                    onOneDnn = false;
                    entered--;
                    ConvolutionBackend.LeaveOneDnn();
                }
                return output;
            }).remove);
            HookedConvolutions++;
        }
    }

    /// <summary>Hooks the convolutions of <paramref name="models"/> (the one trained, and any that
    /// only run forward passes for it); dispose the result to unhook them. Switches oneDNN off for
    /// everything else.</summary>
    public static OneDnnTrainingRouting Route(params IEnumerable<nn.Module> models)
    {
        ConvolutionBackend.RequireExactGradients();
        return new OneDnnTrainingRouting(models);
    }

    /// <summary>Convolutions hooked.</summary>
    public int HookedConvolutions { get; }

    /// <summary>Forward calls, with gradients recorded, of convolutions whose geometry oneDNN gets wrong.</summary>
    public int RejectedCalls { get; private set; }

    /// <summary>Backward passes run on oneDNN, and on libtorch's kernels.</summary>
    public int FastBackwards { get; private set; }

    public int ExactBackwards { get; private set; }

    /// <summary>Back-propagates <paramref name="loss"/>: on oneDNN if every hooked convolution
    /// recorded since the last call was right there, on libtorch's kernels otherwise.</summary>
    public void Backward(Tensor loss)
    {
        bool fast = !wrongSinceBackward;
        wrongSinceBackward = false;
        if (fast)
        {
            FastBackwards++;
            ConvolutionBackend.RunOnOneDnn(() => loss.backward());
        }
        else
        {
            ExactBackwards++;
            loss.backward();
        }
    }

    public void Dispose()
    {
        foreach (var remove in removers) remove();
        removers.Clear();
        // A forward pass that threw left its convolution entered.
        for (; entered > 0; entered--) ConvolutionBackend.LeaveOneDnn();
    }
}
