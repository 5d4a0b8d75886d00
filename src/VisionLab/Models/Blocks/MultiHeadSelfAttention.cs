using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using VisionLab.Runtime;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models.Blocks;

/// <summary>
/// Multi-head self-attention — Vaswani et al., "Attention Is All You Need", NeurIPS 2017 — held as
/// <c>torch.nn.MultiheadAttention</c> holds it: one packed query/key/value projection
/// (<c>in_proj_weight</c>, <c>in_proj_bias</c>) and an output projection (<c>out_proj</c>), so
/// PyTorch's state dicts load unchanged. Tokens come batch first, (batch, length, dim).
/// <see cref="Attend"/> is the scaled dot-product step alone, for attention that keeps its
/// projections elsewhere (Swin's windows).
/// </summary>
public sealed class MultiHeadSelfAttention : Module<Tensor, Tensor>, IReportsMultiplyAdds
{
    [ComponentName(Name = "in_proj_weight")] private readonly Parameter inProjWeight;
    [ComponentName(Name = "in_proj_bias")] private readonly Parameter inProjBias;
    [ComponentName(Name = "out_proj")] private readonly Linear outProj;
    private readonly long heads;
    private readonly double attentionDropout;

    public MultiHeadSelfAttention(long dim, long heads, double attentionDropout = 0) : base(nameof(MultiHeadSelfAttention))
    {
        if (dim < 1 || heads < 1 || dim % heads != 0)
            throw new ArgumentException($"{dim} features cannot be split evenly into {heads} heads");
        if (attentionDropout is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(attentionDropout), attentionDropout, "attention dropout must be between 0 and 1");
        this.heads = heads;
        this.attentionDropout = attentionDropout;
        // PyTorch's initialisation: Glorot for the packed projection, zero biases, the output
        // projection as any Linear.
        inProjWeight = Parameter(init.xavier_uniform_(empty(3 * dim, dim)));
        inProjBias = Parameter(zeros(3 * dim));
        outProj = Linear(dim, dim);
        init.zeros_(outProj.bias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor tokens)
    {
        if (tokens.dim() != 3)
            throw new ArgumentException($"self-attention takes (batch, length, dim) tokens, not shape [{string.Join(", ", tokens.shape)}]");
        using var scope = NewDisposeScope();
        var qkv = functional.linear(tokens, inProjWeight, inProjBias);
        var attended = Attend(qkv, heads, null, training ? attentionDropout : 0);
        return outProj.call(attended).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// softmax(Q·Kᵀ / √d + bias)·V for each head, from packed projections (sequences, length, 3·dim)
    /// whose last dimension holds Q, K and V in turn, each split into <paramref name="heads"/>
    /// slices of d features. <paramref name="bias"/> is added to the logits and must broadcast to
    /// (sequences, heads, length, length); <paramref name="dropout"/> drops attention weights.
    /// Returns (sequences, length, dim) with the heads side by side.
    /// </summary>
    public static Tensor Attend(Tensor qkv, long heads, Tensor? bias, double dropout)
    {
        long sequences = qkv.shape[0], length = qkv.shape[1], dim = qkv.shape[2] / 3;
        using var scope = NewDisposeScope();
        var split = qkv.reshape(sequences, length, 3, heads, dim / heads).permute(2, 0, 3, 1, 4);
        // Scaling Q before the product, not the product after, keeps the logits' rounding as PyTorch's.
        var q = split[0].Times(Math.Pow(dim / heads, -0.5));
        var logits = q.matmul(split[1].transpose(-2, -1));
        if (bias is not null) logits = logits.PlusInPlace(bias);
        var weights = functional.softmax(logits, -1);
        if (dropout > 0) weights = functional.dropout(weights, dropout, training: true);
        return weights.matmul(split[2]).transpose(1, 2).reshape(sequences, length, dim).MoveToOuterDisposeScope();
    }

    /// <summary>Multiply-adds of <see cref="Attend"/>: Q·Kᵀ and weights·V, each length² · dim per sequence.</summary>
    public static long AttendMultiplyAdds(long sequences, long length, long dim) => 2 * sequences * length * length * dim;

    /// <summary>The packed projection (a bare parameter, not a Linear) and the attention products;
    /// <c>out_proj</c> is a Linear and counted as one.</summary>
    public long OwnMultiplyAdds(Tensor input, Tensor output)
    {
        long batch = input.shape[0], length = input.shape[1], dim = input.shape[2];
        return batch * length * inProjWeight.shape[0] * dim + AttendMultiplyAdds(batch, length, dim);
    }
}
