using TorchSharp.Modules;
using static TorchSharp.torch;

namespace VisionLab.Models.Blocks;

/// <summary>
/// The rectifier every zoo family calls, with a switch for guided backpropagation (Springenberg,
/// Dosovitskiy, Brox, Riedmiller, "Striving for Simplicity: The All Convolutional Net", ICLR
/// workshop 2015): while a <see cref="GuidedReluScope"/> is active on the calling thread, a ReLU's
/// backward pass lets through only positive gradients, and only where its input was positive.
/// <para>
/// Guided ReLU = ReLU followed by a gate that is the identity forward and clamps the gradient at
/// zero backward: the ReLU's own backward then masks what the gate let through by (input &gt; 0),
/// giving exactly the paper's (f &gt; 0)·(R &gt; 0)·R. Because the gate sits after the rectified
/// output it needs nothing from the ReLU's input, so it also works after in-place ReLUs, whose input
/// is gone by the time anyone can look.
/// </para>
/// <para>
/// Families call ReLU two ways and both are covered: functional calls go through <see cref="Relu"/>
/// and <see cref="ReluInPlace"/>, which are plain <c>relu</c> / <c>relu_</c> when no scope is
/// active (one thread-static read: outputs are bit-identical and nothing is measurably slower);
/// <c>ReLU</c> and <c>ReLU6</c> modules get a forward hook for the scope's lifetime (TorchSharp
/// has no backward hooks). ReLU6 is a ReLU capped at 6 and is guided the same way, so MobileNet V2
/// can be explained too.
/// </para>
/// </summary>
public static class GuidedRelu
{
    // Per thread, so a model explained on one thread does not change training or inference that
    // other threads (parallel tests, a server) run at the same time.
    [ThreadStatic] private static GuidedReluScope? active;

    /// <summary>Whether a guided scope is active on the calling thread.</summary>
    public static bool IsActive => active is not null;

    /// <summary><c>relu(x)</c>, guided while a scope is active.</summary>
    public static Tensor Relu(Tensor x) => active is null ? nn.functional.relu(x) : active.Gate(nn.functional.relu(x));

    /// <summary>
    /// <c>x.relu_()</c>: <paramref name="x"/> is rectified in place either way; while a scope is
    /// active the result is a gated copy, so callers must use the returned tensor (they all do).
    /// </summary>
    public static Tensor ReluInPlace(Tensor x) => active is null ? x.relu_() : active.Gate(x.relu_());

    /// <summary>
    /// Guides every ReLU <paramref name="model"/> runs on this thread until the scope is disposed
    /// (dispose it on the same thread). Scopes nest; the inner one counts the rectifiers.
    /// </summary>
    public static GuidedReluScope Guide(nn.Module model) => new(model);

    /// <summary>A guided scope: hooks on the model's ReLU modules, and the switch for functional calls.</summary>
    public sealed class GuidedReluScope : IDisposable
    {
        private readonly GuidedReluScope? outer;
        private readonly List<Action> removers = [];
        private bool disposed;

        internal GuidedReluScope(nn.Module model)
        {
            // named_modules leaves out the module itself, which may be a ReLU.
            foreach (var module in model.named_modules().Select(m => m.module).Prepend(model))
            {
                if (module is ReLU or ReLU6)
                {
                    var hook = ((nn.Module<Tensor, Tensor>)module).register_forward_hook((_, _, output) =>
                        ReferenceEquals(active, this) ? Gate(output) : output);
                    removers.Add(hook.remove);
                }
            }
            outer = active;
            active = this;
        }

        /// <summary>How many rectifier calls have been guided so far: zero after a forward pass
        /// means the model has no ReLU, and guided backpropagation would be plain gradients.</summary>
        public int GuidedCalls { get; private set; }

        internal Tensor Gate(Tensor rectified)
        {
            GuidedCalls++;
            return PositiveGradientsOnly.apply(rectified);
        }

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            foreach (var remove in removers) remove();
            active = outer;
        }
    }

    /// <summary>The identity forward; backward, the incoming gradient clamped at zero.</summary>
    private sealed class PositiveGradientsOnly : autograd.SingleTensorFunction<PositiveGradientsOnly>
    {
        public override string Name => nameof(PositiveGradientsOnly);

        // A copy, not the input itself: the output gets its own autograd history, and later
        // in-place operations on it cannot reach the rectifier's saved result.
        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars) => ((Tensor)vars[0]).clone();

        // relu rather than clamp_min(0), which are the same function: TorchSharp would pass the 0 as a
        // Scalar that a garbage collection on another thread can free while libtorch still reads it.
        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput) => [gradOutput.relu()];
    }
}
