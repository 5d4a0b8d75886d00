using TorchSharp;
using TorchSharp.Modules;
using VisionLab.Models.Blocks;
using static TorchSharp.torch;

namespace VisionLab.Runtime;

/// <summary>
/// Lets training run its convolutions on oneDNN wherever that is right: about 5× faster than
/// libtorch's own kernels for a ResNet on a CPU — the difference between a CPU training run taking
/// an hour and an afternoon. Every convolution module is hooked; before it runs, its geometry is
/// checked once (<see cref="OneDnnVerification"/>), and a right one runs on oneDNN, a wrong one on
/// libtorch's kernels.
/// <para>
/// libtorch picks backward kernels when the backward pass runs, under one process-wide switch, so
/// <see cref="Backward"/> runs the whole backward pass with oneDNN on, and each convolution of a
/// wrong geometry hands its output to an autograd function of its own (<see cref="ExactConvolution"/>)
/// whose backward recomputes it on libtorch's kernels with the switch held off. Depthwise
/// convolutions route themselves (<see cref="DepthwiseConv2d"/>) and are left alone.
/// </para>
/// <para>
/// Only convolution modules are covered: a module that calls <c>conv2d</c> itself would have its
/// gradient computed on oneDNN unchecked. Every convolution of the zoo is a module.
/// </para>
/// </summary>
public sealed class OneDnnTrainingRouting : IDisposable
{
    private readonly List<Action> removers = [];
    private int entered;

    private OneDnnTrainingRouting(IEnumerable<nn.Module> models)
    {
        // named_modules leaves out the module itself, which may be a convolution.
        var convolutions = models.SelectMany(m => m.named_modules().Select(n => n.module).Prepend(m))
            .OfType<Convolution>().Where(c => c is not DepthwiseConv2d).ToList();
        // One convolution the check cannot cover (transposed, 1-D or 3-D, padded other than with
        // zeros) would take oneDNN's gradients unchecked: such models train on libtorch's kernels.
        Active = convolutions.All(OneDnnVerification.CanCheck);
        if (!Active) return;
        foreach (var conv in convolutions)
        {
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
                return input;
            }).remove);
            removers.Add(conv.register_forward_hook((_, input, output) =>
            {
                if (onOneDnn)
                {
                    onOneDnn = false;
                    entered--;
                    ConvolutionBackend.LeaveOneDnn();
                    return output;
                }
                if (!output.requires_grad || input.dtype != ScalarType.Float32 || input.device_type != DeviceType.CPU) return output;
                ExactCalls++;
                return ExactConvolution.apply(input, conv.weight!, conv.bias, output.detach(), conv);
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

    /// <summary>Whether the models' convolutions are routed; false when one of them is of a kind
    /// the check does not cover, and everything runs on libtorch's kernels.</summary>
    public bool Active { get; }

    /// <summary>Convolutions hooked.</summary>
    public int HookedConvolutions { get; }

    /// <summary>Forward calls, with gradients recorded, of convolutions whose geometry oneDNN gets
    /// wrong: their gradients come from libtorch's kernels.</summary>
    public int ExactCalls { get; private set; }

    /// <summary>Back-propagates <paramref name="loss"/> with oneDNN on; the convolutions it gets
    /// wrong switch it off for their own gradients.</summary>
    public void Backward(Tensor loss)
    {
        if (Active) ConvolutionBackend.RunOnOneDnn(() => loss.backward());
        else loss.backward();
    }

    public void Dispose()
    {
        foreach (var remove in removers) remove();
        removers.Clear();
        // A forward pass that threw left its convolution entered.
        for (; entered > 0; entered--) ConvolutionBackend.LeaveOneDnn();
    }

    /// <summary>
    /// A convolution whose output was computed already, on libtorch's kernels, and whose gradients
    /// must be too: its backward recomputes the output from the saved input and weights with oneDNN
    /// held off, and differentiates that (the forward graph libtorch recorded would pick oneDNN's
    /// kernels, since the switch is on while the backward pass runs).
    /// </summary>
    private sealed class ExactConvolution : autograd.SingleTensorFunction<ExactConvolution>
    {
        public override string Name => nameof(ExactConvolution);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (input, weight, bias, output, conv) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor?)vars[2], (Tensor)vars[3], (Convolution)vars[4]);
            ctx.save_for_backward(bias is null ? [input, weight] : [input, weight, bias]);
            ctx.save_data("conv", conv);
            ctx.save_data("needs", new[] { input.requires_grad, weight.requires_grad, bias?.requires_grad == true });
            return output.detach();
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var saved = ctx.get_saved_variables();
            var conv = (Convolution)ctx.get_data("conv");
            var needs = (bool[])ctx.get_data("needs");
            // Trailing nulls: the output, already computed, and the module.
            return ConvolutionBackend.RunOnLibtorchKernels(() => RecomputedGradients.Of(saved, needs,
                (x, w, b) => nn.functional.conv2d(x, w, b, strides: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: conv.groups),
                gradOutput, trailing: 2));
        }
    }
}
