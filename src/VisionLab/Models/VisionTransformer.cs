using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using VisionLab.Models.Blocks;
using VisionLab.Runtime;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace VisionLab.Models;

/// <summary>
/// Vision Transformer — Dosovitskiy et al., "An Image is Worth 16x16 Words: Transformers for Image
/// Recognition at Scale", ICLR 2021. The image is cut into P×P patches, each linearly embedded (a
/// P×P stride-P convolution); a learnable class token is put in front, learned position embeddings
/// are added, and a stack of pre-norm transformer encoder blocks runs over the sequence. The class
/// token's final state, layer-normalised, is the image's representation for the head. The position
/// embeddings fix the image size (224 in the zoo). Names, shapes and initialisation follow
/// torchvision, whose state dicts therefore load unchanged.
/// </summary>
public sealed class VisionTransformer : ImageClassifier
{
    /// <summary>The paper's Table 1 (layers, hidden size D, MLP size, heads) and the patch size P.</summary>
    internal sealed record Variant(int PatchSize, int Layers, int HiddenDim, int MlpDim, int Heads);

    /// <summary>
    /// Pre-norm encoder block: x + MSA(LN(x)), then x + MLP(LN(x)) with a GELU MLP of the paper's
    /// MLP size (eq. 2–3).
    /// </summary>
    public sealed class EncoderBlock : Module<Tensor, Tensor>
    {
        [ComponentName(Name = "ln_1")] private readonly LayerNorm ln1;
        [ComponentName(Name = "self_attention")] private readonly MultiHeadSelfAttention selfAttention;
        private readonly Dropout dropout;
        [ComponentName(Name = "ln_2")] private readonly LayerNorm ln2;
        private readonly Sequential mlp;

        public EncoderBlock(long heads, long hiddenDim, long mlpDim, double dropout, double attentionDropout) : base(nameof(EncoderBlock))
        {
            if (mlpDim < 1)
                throw new ArgumentOutOfRangeException(nameof(mlpDim), mlpDim, "the MLP needs at least one hidden unit");
            ln1 = LayerNorm(hiddenDim, eps: NormEps);
            selfAttention = new MultiHeadSelfAttention(hiddenDim, heads, attentionDropout);
            this.dropout = Dropout(dropout);
            ln2 = LayerNorm(hiddenDim, eps: NormEps);
            mlp = Mlp.Create(hiddenDim, [mlpDim, hiddenDim], Activation.GELU, dropout);
            RegisterComponents();

            // Glorot weights and near-zero biases, as the paper's JAX code initialises its MLPs.
            foreach (var (_, module) in mlp.named_modules())
            {
                if (module is Linear linear)
                {
                    init.xavier_uniform_(linear.weight);
                    init.normal_(linear.bias, std: 1e-6);
                }
            }
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var x = dropout.call(selfAttention.call(ln1.call(input))).PlusInPlace(input);
            return mlp.call(ln2.call(x)).PlusInPlace(x).MoveToOuterDisposeScope();
        }
    }

    /// <summary>Adds the position embeddings, then runs the blocks and a final layer norm.</summary>
    public sealed class Encoder : Module<Tensor, Tensor>
    {
        [ComponentName(Name = "pos_embedding")] private readonly Parameter posEmbedding;
        private readonly Dropout dropout;
        private readonly Sequential layers;
        private readonly LayerNorm ln;

        public Encoder(long seqLength, int layers, long heads, long hiddenDim, long mlpDim, double dropout, double attentionDropout)
            : base(nameof(Encoder))
        {
            if (layers < 1)
                throw new ArgumentOutOfRangeException(nameof(layers), layers, "the encoder needs at least one block");
            // Small normal position embeddings, as BERT's.
            posEmbedding = Parameter(empty(1, seqLength, hiddenDim).normal_(0, 0.02));
            this.dropout = Dropout(dropout);
            this.layers = Sequential(Enumerable.Range(0, layers)
                .Select(i => ($"encoder_layer_{i}", (Module<Tensor, Tensor>)new EncoderBlock(heads, hiddenDim, mlpDim, dropout, attentionDropout))));
            ln = LayerNorm(hiddenDim, eps: NormEps);
            RegisterComponents();
        }

        public override Tensor forward(Tensor tokens)
        {
            using var scope = NewDisposeScope();
            var x = dropout.call(tokens.Plus(posEmbedding));
            return ln.call(layers.call(x)).MoveToOuterDisposeScope();
        }
    }

    private const double NormEps = 1e-6;
    internal const int DefaultImageSize = 224;

    [ComponentName(Name = "class_token")] private readonly Parameter classToken;
    [ComponentName(Name = "conv_proj")] private readonly Conv2d convProj;
    private readonly Encoder encoder;
    private Sequential heads;
    private readonly long hiddenDim;

    internal VisionTransformer(Variant variant, ModelOptions options, int imageSize = DefaultImageSize,
        double dropout = 0, double attentionDropout = 0) : base(nameof(VisionTransformer))
    {
        if (variant.PatchSize < 1 || imageSize < variant.PatchSize || imageSize % variant.PatchSize != 0)
            throw new ArgumentException($"a {imageSize}×{imageSize} image cannot be cut into {variant.PatchSize}×{variant.PatchSize} patches");
        if (options.NumClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.NumClasses, $"a vision transformer needs at least one class, not {options.NumClasses}");
        if (options.InChannels < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.InChannels, $"a vision transformer needs at least one input channel, not {options.InChannels}");
        ImageSize = imageSize;
        PatchSize = variant.PatchSize;
        // The head reads only the class token of the last block's output, so the maps of the other
        // tokens carry no gradient there: explanations look at the input of the last block's attention.
        DefaultExplainLayer = $"encoder.layers.encoder_layer_{variant.Layers - 1}.ln_1";
        hiddenDim = variant.HiddenDim;

        convProj = Conv2d(options.InChannels, variant.HiddenDim, variant.PatchSize, stride: variant.PatchSize);
        long patches = (long)(imageSize / variant.PatchSize) * (imageSize / variant.PatchSize);
        classToken = Parameter(zeros(1, 1, variant.HiddenDim));
        encoder = new Encoder(patches + 1, variant.Layers, variant.Heads, variant.HiddenDim, variant.MlpDim, dropout, attentionDropout);
        heads = Sequential(("head", Head(variant.HiddenDim, options.NumClasses)));
        RegisterComponents();

        // The patch embedding starts as LeCun normal (truncated), variance 1 / fan-in.
        long fanIn = options.InChannels * (long)variant.PatchSize * variant.PatchSize;
        TruncatedNormal.Fill_(convProj.weight, std: Math.Sqrt(1.0 / fanIn));
        init.zeros_(convProj.bias);
    }

    /// <summary>The classifier starts at zero, as the paper's fine-tuning heads do.</summary>
    private static Linear Head(long inFeatures, int numClasses)
    {
        var head = Linear(inFeatures, numClasses);
        init.zeros_(head.weight);
        init.zeros_(head.bias);
        return head;
    }

    /// <summary>Height and width of the images the position embeddings were made for.</summary>
    public int ImageSize { get; }

    public int PatchSize { get; }

    public override string DefaultExplainLayer { get; }

    private Linear HeadLayer => (Linear)heads.named_children().Single(c => c.name == "head").module;

    public override int NumClasses => (int)HeadLayer.out_features;

    /// <summary>Images to the encoder's output tokens, (batch, 1 + patches, hidden), the class token first.</summary>
    public override Tensor ForwardFeatures(Tensor images)
    {
        if (images.dim() != 4 || images.shape[2] != ImageSize || images.shape[3] != ImageSize)
            throw new ArgumentException(
                $"this vision transformer takes {ImageSize}×{ImageSize} images (its position embeddings are made for them), not shape [{string.Join(", ", images.shape)}]");
        using var scope = NewDisposeScope();
        long batch = images.shape[0];
        var patches = convProj.call(images).reshape(batch, hiddenDim, -1).permute(0, 2, 1);
        var tokens = cat([classToken.expand(batch, -1, -1), patches], 1);
        return encoder.call(tokens).MoveToOuterDisposeScope();
    }

    /// <summary>The class token's state to logits.</summary>
    public override Tensor ForwardHead(Tensor features)
    {
        using var classState = features.select(1, 0);
        return heads.call(classState);
    }

    protected override void ReplaceClassifier(int numClasses)
    {
        var old = HeadLayer;
        heads = ReplaceInSequential(nameof(heads), heads, "head", Head(old.in_features, numClasses).to(old.weight!.device));
        old.Dispose();
    }

    private const string Paper = "Dosovitskiy et al., An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale, ICLR 2021";

    internal static readonly Variant B16 = new(PatchSize: 16, Layers: 12, HiddenDim: 768, MlpDim: 3072, Heads: 12);
    internal static readonly Variant B32 = new(PatchSize: 32, Layers: 12, HiddenDim: 768, MlpDim: 3072, Heads: 12);
    internal static readonly Variant L16 = new(PatchSize: 16, Layers: 24, HiddenDim: 1024, MlpDim: 4096, Heads: 16);
    internal static readonly Variant L32 = new(PatchSize: 32, Layers: 24, HiddenDim: 1024, MlpDim: 4096, Heads: 16);
    internal static readonly Variant H14 = new(PatchSize: 14, Layers: 32, HiddenDim: 1280, MlpDim: 5120, Heads: 16);

    [ZooModel("vit_b_16", Family = "ViT", Paper = Paper, Input = "3x224x224", Parameters = 86_567_656, Macs = 17_563_828_224)]
    public static ImageClassifier VitB16(ModelOptions o) => new VisionTransformer(B16, o);

    [ZooModel("vit_b_32", Family = "ViT", Paper = Paper, Input = "3x224x224", Parameters = 88_224_232, Macs = 4_409_186_304)]
    public static ImageClassifier VitB32(ModelOptions o) => new VisionTransformer(B32, o);

    [ZooModel("vit_l_16", Family = "ViT", Paper = Paper, Input = "3x224x224", Parameters = 304_326_632, Macs = 61_554_712_576)]
    public static ImageClassifier VitL16(ModelOptions o) => new VisionTransformer(L16, o);

    [ZooModel("vit_l_32", Family = "ViT", Paper = Paper, Input = "3x224x224", Parameters = 306_535_400, Macs = 15_377_539_072)]
    public static ImageClassifier VitL32(ModelOptions o) => new VisionTransformer(L32, o);

    [ZooModel("vit_h_14", Family = "ViT", Paper = Paper, Input = "3x224x224", Parameters = 632_045_800, Macs = 167_295_109_120)]
    public static ImageClassifier VitH14(ModelOptions o) => new VisionTransformer(H14, o);
}
