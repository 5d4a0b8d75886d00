using static TorchSharp.torch;

namespace VisionLab.Runtime;

/// <summary>
/// The backward pass of a convolution autograd function that chooses its own kernels: recompute the
/// output from the saved input, weight and bias, under whatever switch setting the caller holds, and
/// differentiate that. Gradients come back in autograd's order — input, weight, bias (null where not
/// needed) — followed by <paramref name="trailing"/> nulls for the function's non-tensor arguments.
/// </summary>
internal static class RecomputedGradients
{
    public static List<Tensor> Of(IList<Tensor> saved, bool[] needs, Func<Tensor, Tensor, Tensor?, Tensor> convolve,
        Tensor gradOutput, int trailing)
    {
        using var enabled = enable_grad();
        var leaves = saved.Select(t => t.detach()).ToList();
        for (int i = 0; i < leaves.Count; i++) leaves[i].requires_grad_(needs[i]);
        using var output = convolve(leaves[0], leaves[1], leaves.Count > 2 ? leaves[2] : null);
        var grads = autograd.grad([output], leaves.Where((_, i) => needs[i]).ToList(), [gradOutput]);
        var result = new List<Tensor>();
        int next = 0;
        for (int i = 0; i < 3; i++) result.Add(i < leaves.Count && needs[i] ? grads[next++] : null!);
        for (int i = 0; i < trailing; i++) result.Add(null!);
        return result;
    }
}
