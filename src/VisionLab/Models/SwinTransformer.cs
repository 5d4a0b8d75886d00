using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using VisionLab.Models.Blocks;
using VisionLab.Runtime;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models;

/// <summary>
/// Swin Transformer — Liu, Lin, Cao, Hu, Wei, Zhang, Lin, Guo, "Swin Transformer: Hierarchical
/// Vision Transformer using Shifted Windows", ICCV 2021. Self-attention is computed inside
/// non-overlapping M×M windows, so its cost grows linearly with the image; every second block
/// shifts the windows by M/2 so information crosses window borders, and patch merging halves the
/// resolution and doubles the width between stages, giving a CNN-like pyramid of 1/4 … 1/32 maps.
/// Tokens stay channel-last, (batch, height, width, channels), throughout. Names, shapes and
/// initialisation follow torchvision, whose state dicts therefore load unchanged.
/// </summary>
public sealed class SwinTransformer : ImageClassifier
{
    /// <summary>
    /// Window multi-head self-attention with a learned relative position bias (section 3.2), over
    /// cyclically shifted windows when <c>shift</c> is non-zero (section 3.2, "efficient batch
    /// computation for shifted configuration"). Maps whose sides are not multiples of the window are
    /// padded at the bottom and right, and the padding is cut off again afterwards.
    /// </summary>
    public sealed class ShiftedWindowAttention : Module<Tensor, Tensor>, IReportsMultiplyAdds
    {
        /// <summary>Added to the logits of token pairs from different regions of a shifted window,
        /// so that softmax gives them (almost) no weight, as the paper's code does.</summary>
        private const float MaskedLogit = -100f;

        private readonly Linear qkv;
        private readonly Linear proj;
        [ComponentName(Name = "relative_position_bias_table")] private readonly Parameter relativePositionBiasTable;
        [ComponentName(Name = "relative_position_index")] private readonly Tensor relativePositionIndex;
        private readonly long window;
        private readonly long shift;
        private readonly long heads;
        private readonly double attentionDropout;
        private readonly double dropout;

        public ShiftedWindowAttention(long dim, long window, long shift, long heads, double attentionDropout = 0, double dropout = 0)
            : base(nameof(ShiftedWindowAttention))
        {
            if (window < 1 || shift < 0 || shift >= window)
                throw new ArgumentException($"a shift of {shift} does not fit a window of {window}");
            if (dim < 1 || heads < 1 || dim % heads != 0)
                throw new ArgumentException($"{dim} channels cannot be split evenly into {heads} heads");
            this.window = window;
            this.shift = shift;
            this.heads = heads;
            this.attentionDropout = attentionDropout;
            this.dropout = dropout;
            qkv = Linear(dim, dim * 3);
            proj = Linear(dim, dim);
            // One learned bias per head for each of the (2M − 1)² relative offsets between two tokens
            // of a window (eq. 4), and the table row of every pair of the M² tokens.
            relativePositionBiasTable = Parameter(TruncatedNormal.Fill_(zeros((2 * window - 1) * (2 * window - 1), heads), std: 0.02));
            relativePositionIndex = RelativePositionIndex(window);
            RegisterComponents();
        }

        /// <summary>Row (Δy + M − 1)·(2M − 1) + (Δx + M − 1) for tokens i, j of a window, flattened over (i, j).</summary>
        private static Tensor RelativePositionIndex(long window)
        {
            long n = window * window;
            var index = new long[n * n];
            for (long i = 0; i < n; i++)
                for (long j = 0; j < n; j++)
                {
                    long dy = i / window - j / window + window - 1;
                    long dx = i % window - j % window + window - 1;
                    index[i * n + j] = dy * (2 * window - 1) + dx;
                }
            return tensor(index);
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            long batch = x.shape[0], height = x.shape[1], width = x.shape[2], channels = x.shape[3];
            var padded = functional.pad(x, [0, 0, 0, (window - width % window) % window, 0, (window - height % window) % window]);
            long paddedHeight = padded.shape[1], paddedWidth = padded.shape[2];
            // A window that covers the whole map has nothing to exchange with a shifted one.
            long shiftY = window >= paddedHeight ? 0 : shift, shiftX = window >= paddedWidth ? 0 : shift;
            bool shifted = shiftY + shiftX > 0;
            if (shifted) padded = padded.roll([-shiftY, -shiftX], [1, 2]);

            long rows = paddedHeight / window, columns = paddedWidth / window, windows = rows * columns, n = window * window;
            var tokens = padded.view(batch, rows, window, columns, window, channels).permute(0, 1, 3, 2, 4, 5)
                .reshape(batch * windows, n, channels);

            var bias = relativePositionBiasTable[relativePositionIndex].view(n, n, heads).permute(2, 0, 1).unsqueeze(0);
            if (shifted)
            {
                // (windows, heads, n, n) for every image of the batch, images outermost as the windows are.
                var mask = ShiftMask(paddedHeight, paddedWidth, shiftY, shiftX, bias.dtype, x.device).unsqueeze(1);
                bias = bias.Plus(mask).unsqueeze(0).expand(batch, -1, -1, -1, -1).reshape(batch * windows, heads, n, n);
            }
            var attended = MultiHeadSelfAttention.Attend(qkv.call(tokens), heads, bias, training ? attentionDropout : 0);
            var y = functional.dropout(proj.call(attended), dropout, training);

            y = y.view(batch, rows, columns, window, window, channels).permute(0, 1, 3, 2, 4, 5)
                .reshape(batch, paddedHeight, paddedWidth, channels);
            if (shifted) y = y.roll([shiftY, shiftX], [1, 2]);
            return y[TensorIndex.Colon, TensorIndex.Slice(null, height), TensorIndex.Slice(null, width), TensorIndex.Colon].contiguous().MoveToOuterDisposeScope();
        }

        /// <summary>
        /// After the cyclic shift a window can hold tokens from up to four regions that are not
        /// neighbours in the image; a token attends only to tokens of its own region. Regions are the
        /// bands [0, H − M), [H − M, H − s) and [H − s, H) in each direction. Returns (windows, n, n)
        /// of 0 (same region) and <see cref="MaskedLogit"/>.
        /// </summary>
        private Tensor ShiftMask(long height, long width, long shiftY, long shiftX, ScalarType dtype, Device device)
        {
            static long Band(long p, long size, long window, long shift) => p < size - window ? 0 : p < size - shift ? 1 : 2;
            long columns = width / window, windows = height / window * columns, n = window * window;
            var region = new long[windows, n];
            for (long y = 0; y < height; y++)
                for (long x = 0; x < width; x++)
                    region[y / window * columns + x / window, y % window * window + x % window] =
                        3 * Band(y, height, window, shiftY) + Band(x, width, window, shiftX);
            var mask = new float[windows * n * n];
            for (long w = 0; w < windows; w++)
                for (long i = 0; i < n; i++)
                    for (long j = 0; j < n; j++)
                        mask[(w * n + i) * n + j] = region[w, i] == region[w, j] ? 0f : MaskedLogit;
            return tensor(mask, dtype, device).view(windows, n, n);
        }

        /// <summary>The attention products over all windows, the padding included; qkv and proj are Linears.</summary>
        public long OwnMultiplyAdds(Tensor input, Tensor output)
        {
            long paddedHeight = (input.shape[1] + window - 1) / window * window, paddedWidth = (input.shape[2] + window - 1) / window * window;
            long windows = input.shape[0] * (paddedHeight / window) * (paddedWidth / window);
            return MultiHeadSelfAttention.AttendMultiplyAdds(windows, window * window, input.shape[3]);
        }
    }

    /// <summary>
    /// Pre-norm transformer block on windows: x + drop(W-MSA(LN(x))), then x + drop(MLP(LN(x))) with
    /// a 4× GELU MLP (eq. 3); "drop" is stochastic depth, a whole residual branch per sample.
    /// </summary>
    public sealed class SwinTransformerBlock : Module<Tensor, Tensor>
    {
        private readonly LayerNorm norm1;
        private readonly ShiftedWindowAttention attn;
        [ComponentName(Name = "stochastic_depth")] private readonly StochasticDepth stochasticDepth;
        private readonly LayerNorm norm2;
        private readonly Sequential mlp;

        public SwinTransformerBlock(long dim, long heads, long window, long shift, double mlpRatio, double dropout,
            double attentionDropout, double stochasticDepthProbability) : base(nameof(SwinTransformerBlock))
        {
            if (mlpRatio <= 0)
                throw new ArgumentOutOfRangeException(nameof(mlpRatio), mlpRatio, "the MLP ratio must be positive");
            norm1 = LayerNorm(dim, eps: NormEps);
            attn = new ShiftedWindowAttention(dim, window, shift, heads, attentionDropout, dropout);
            stochasticDepth = new StochasticDepth(stochasticDepthProbability, perSample: true);
            norm2 = LayerNorm(dim, eps: NormEps);
            mlp = Mlp.Create(dim, [(long)(dim * mlpRatio), dim], Activation.GELU, dropout);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var x = stochasticDepth.call(attn.call(norm1.call(input))).PlusInPlace(input);
            return stochasticDepth.call(mlp.call(norm2.call(x))).PlusInPlace(x).MoveToOuterDisposeScope();
        }
    }

    /// <summary>
    /// Concatenates each 2×2 group of neighbouring tokens (4C features) and projects them to 2C:
    /// half the resolution, twice the width (section 3.1). An odd side is padded by one.
    /// </summary>
    public sealed class PatchMerging : Module<Tensor, Tensor>
    {
        private readonly Linear reduction;
        private readonly LayerNorm norm;

        public PatchMerging(long dim) : base(nameof(PatchMerging))
        {
            if (dim < 1) throw new ArgumentOutOfRangeException(nameof(dim), dim, "patch merging needs at least one channel");
            reduction = Linear(4 * dim, 2 * dim, hasBias: false);
            norm = LayerNorm(4 * dim, eps: NormEps);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var padded = functional.pad(x, [0, 0, 0, x.shape[2] % 2, 0, x.shape[1] % 2]);
            TensorIndex even = TensorIndex.Slice(0, null, 2), odd = TensorIndex.Slice(1, null, 2);
            var merged = cat([
                padded[TensorIndex.Ellipsis, even, even, TensorIndex.Colon],
                padded[TensorIndex.Ellipsis, odd, even, TensorIndex.Colon],
                padded[TensorIndex.Ellipsis, even, odd, TensorIndex.Colon],
                padded[TensorIndex.Ellipsis, odd, odd, TensorIndex.Colon],
            ], -1);
            return reduction.call(norm.call(merged)).MoveToOuterDisposeScope();
        }
    }

    /// <summary>The paper's section 3.3: channels C of the first stage, blocks and heads per stage.</summary>
    internal sealed record Variant(int EmbedDim, int[] Depths, int[] Heads, double StochasticDepth, int PatchSize = 4, int Window = 7);

    private const double NormEps = 1e-5;

    private readonly Sequential features;
    private readonly LayerNorm norm;
    private Linear head;

    internal SwinTransformer(Variant variant, ModelOptions options, double mlpRatio = 4.0, double dropout = 0, double attentionDropout = 0)
        : base(nameof(SwinTransformer))
    {
        if (variant.Depths.Length == 0 || variant.Depths.Length != variant.Heads.Length || variant.Depths.Any(d => d < 1))
            throw new ArgumentException($"Swin takes as many head counts as stages of at least one block, not depths " +
                                        $"[{string.Join(", ", variant.Depths)}] and heads [{string.Join(", ", variant.Heads)}]");
        if (variant.StochasticDepth is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(variant), variant.StochasticDepth, "the stochastic depth rate must be between 0 and 1");
        if (options.NumClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.NumClasses, $"Swin needs at least one class, not {options.NumClasses}");
        if (options.InChannels < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.InChannels, $"Swin needs at least one input channel, not {options.InChannels}");

        // Patch partition and linear embedding as one P×P stride-P convolution, then channels last.
        var layers = new List<(string, Module<Tensor, Tensor>)>
        {
            ("0", Sequential(
                ("0", Conv2d(options.InChannels, variant.EmbedDim, variant.PatchSize, stride: variant.PatchSize)),
                ("1", new Permute(0, 2, 3, 1)),
                ("2", LayerNorm(variant.EmbedDim, eps: NormEps)))),
        };
        // The drop rate rises linearly from 0 at the first block to the variant's rate at the last.
        int totalBlocks = variant.Depths.Sum(), blockId = 0;
        long dim = variant.EmbedDim;
        for (int stage = 0; stage < variant.Depths.Length; stage++)
        {
            var blocks = new List<(string, Module<Tensor, Tensor>)>();
            for (int i = 0; i < variant.Depths[stage]; i++)
            {
                double drop = totalBlocks > 1 ? variant.StochasticDepth * blockId / (totalBlocks - 1) : 0;
                blocks.Add(($"{i}", new SwinTransformerBlock(dim, variant.Heads[stage], variant.Window,
                    i % 2 == 0 ? 0 : variant.Window / 2, mlpRatio, dropout, attentionDropout, drop)));
                blockId++;
            }
            layers.Add(($"{layers.Count}", Sequential(blocks)));
            if (stage < variant.Depths.Length - 1)
            {
                layers.Add(($"{layers.Count}", new PatchMerging(dim)));
                dim *= 2;
            }
        }
        features = Sequential(layers);
        DefaultExplainLayer = $"features.{layers.Count - 1}.{variant.Depths[^1] - 1}.norm1";
        norm = LayerNorm(dim, eps: NormEps);
        head = Head(dim, options.NumClasses);
        RegisterComponents();

        foreach (var (_, module) in named_modules())
        {
            if (module is Linear linear) InitLinear(linear);
        }
    }

    /// <summary>Truncated normal weights (σ = 0.02) and zero biases for every linear layer, as the paper's code.</summary>
    private static void InitLinear(Linear linear)
    {
        TruncatedNormal.Fill_(linear.weight, std: 0.02);
        if (linear.bias is not null) init.zeros_(linear.bias);
    }

    private static Linear Head(long inFeatures, long numClasses)
    {
        var head = Linear(inFeatures, numClasses);
        InitLinear(head);
        return head;
    }

    public override int NumClasses => (int)head.out_features;

    /// <summary>The last block's first norm, as Grad-CAM for Swin is usually taken.</summary>
    public override string DefaultExplainLayer { get; }

    /// <summary>Every layer after the patch-embedding convolution keeps channels last.</summary>
    public override Tensor ToFeatureGrid(string layer, Tensor output) =>
        output.dim() == 4 && layer != "features.0.0" ? output.permute(0, 3, 1, 2) : base.ToFeatureGrid(layer, output);

    public override Tensor FromFeatureGrid(string layer, Tensor grid, Tensor original) =>
        original.dim() == 4 && layer != "features.0.0" ? grid.permute(0, 2, 3, 1) : base.FromFeatureGrid(layer, grid, original);

    /// <summary>Images to the last stage's normalised map, channels first: (batch, 8C, H/32, W/32).</summary>
    public override Tensor ForwardFeatures(Tensor images)
    {
        using var scope = NewDisposeScope();
        return norm.call(features.call(images)).permute(0, 3, 1, 2).MoveToOuterDisposeScope();
    }

    public override Tensor ForwardHead(Tensor features) => ClassifyPooled(features, head);

    protected override void ReplaceClassifier(int numClasses)
        => head = ReplaceLinear(nameof(head), head, numClasses, Head);

    private const string Paper = "Liu et al., Swin Transformer: Hierarchical Vision Transformer using Shifted Windows, ICCV 2021";

    internal static readonly Variant T = new(EmbedDim: 96, Depths: [2, 2, 6, 2], Heads: [3, 6, 12, 24], StochasticDepth: 0.2);
    internal static readonly Variant S = new(EmbedDim: 96, Depths: [2, 2, 18, 2], Heads: [3, 6, 12, 24], StochasticDepth: 0.3);
    internal static readonly Variant B = new(EmbedDim: 128, Depths: [2, 2, 18, 2], Heads: [4, 8, 16, 32], StochasticDepth: 0.5);

    [ZooModel("swin_t", Family = "Swin", Paper = Paper, Input = "3x224x224", Parameters = 28_288_354, Macs = 4_490_566_656)]
    public static ImageClassifier SwinT(ModelOptions o) => new SwinTransformer(T, o);

    [ZooModel("swin_s", Family = "Swin", Paper = Paper, Input = "3x224x224", Parameters = 49_606_258, Macs = 8_740_875_264)]
    public static ImageClassifier SwinS(ModelOptions o) => new SwinTransformer(S, o);

    [ZooModel("swin_b", Family = "Swin", Paper = Paper, Input = "3x224x224", Parameters = 87_768_224, Macs = 15_430_946_816)]
    public static ImageClassifier SwinB(ModelOptions o) => new SwinTransformer(B, o);
}
