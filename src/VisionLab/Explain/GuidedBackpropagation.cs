using VisionLab.Models.Blocks;
using static TorchSharp.torch;

namespace VisionLab.Explain;

/// <summary>
/// Guided Backpropagation — Springenberg, Dosovitskiy, Brox, Riedmiller, "Striving for Simplicity:
/// The All Convolutional Net", ICLR workshop 2015: the class logit's gradient with respect to the
/// pixels, computed with every ReLU passing back only positive gradients (and, as usual, only where
/// its input was positive). Negative evidence is dropped at each layer, which leaves sharp images of
/// the edges and textures that raised the score. The map is the largest magnitude over the colour
/// channels, as for <see cref="Saliency"/>, so the two can be compared directly.
/// <para>
/// The ReLUs are switched by <see cref="GuidedRelu"/> for this one forward and backward pass only.
/// A model without ReLUs (GELU, SiLU, hard-swish only) is refused: its "guided" gradient would be
/// the plain one.
/// </para>
/// </summary>
public sealed class GuidedBackpropagation : IExplanationMethod
{
    public string Name => "guidedbackprop";
    public string Title => "Guided Backpropagation";
    public bool UsesTargetLayer => false;

    public SaliencyMap Explain(ExplainContext context, Tensor image, int classIndex)
    {
        InputGradients.CheckImage(Name, image);
        using var scope = NewDisposeScope();
        Tensor gradient;
        using (var guided = GuidedRelu.Guide(context.Model))
        {
            gradient = InputGradients.Of(context.Model, image, classIndex);
            if (guided.GuidedCalls == 0)
                throw new VisionLabException(
                    $"{Name} needs ReLU activations to guide, and {context.Model.GetName()} has none; use saliency or integratedgradients instead");
        }
        return SaliencyMap.From(InputGradients.LargestMagnitude(gradient));
    }
}
