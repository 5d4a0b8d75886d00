using System.Diagnostics;
using System.Text.Json;
using TorchSharp.PyBridge;
using VisionLab.Models;
using VisionLab.Models.Weights;
using VisionLab.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VisionLab.Tests.Models;

public sealed class VisionTransformerCases : IParityCases
{
    public ParityCase[] Everyday =>
    [
        // The zoo's model at its 224×224 input, and a smaller one (image_size 64: 16 patches) with
        // a non-ImageNet head and grey images.
        new("vit_b_32", 1000, 3, 224, 224, Batch: 1),
        new("vit_b_16", 10, 1, 64, 64, Kwargs: new Dictionary<string, object> { ["image_size"] = 64 }),
    ];

    public ParityCase[] Large =>
    [
        new("vit_b_16", 1000, 3, 224, 224, Batch: 1),
        new("vit_l_16", 1000, 3, 224, 224, Batch: 1),
        new("vit_l_32", 1000, 3, 224, 224, Batch: 1),
        new("vit_h_14", 1000, 3, 224, 224, Batch: 1),
    ];
}

/// <summary>
/// torchvision's references for the vision transformers. torchvision starts a ViT's head at zero, so
/// every logit of a freshly built model is 0 and would match any backbone; this runs the shared
/// <c>torchvision_reference.py</c> with the head and the class token given random values first.
/// </summary>
public sealed class VisionTransformerReferences : IDisposable
{
    private const string RandomHeadScript = """
        import os, sys
        sys.path.insert(0, sys.argv.pop(1))
        import torch
        import torchvision_reference as reference

        randomise = reference.randomise_layer_norms_and_scales

        def randomise_head_and_class_token(model, generator):
            randomise(model, generator)
            with torch.no_grad():
                for name, parameter in model.named_parameters():
                    if name.startswith("heads.") or name == "class_token":
                        parameter.copy_(torch.randn(parameter.shape, generator=generator) * (0.05 if name.startswith("heads.") else 1.0))

        reference.randomise_layer_norms_and_scales = randomise_head_and_class_token
        reference.main()
        """;

    private readonly TempFolder folder = new();

    public VisionTransformerReferences()
    {
        var cases = ParityTests<VisionTransformerCases>.IncludeLarge
            ? [.. new VisionTransformerCases().Everyday, .. new VisionTransformerCases().Large]
            : new VisionTransformerCases().Everyday;
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(RandomHeadScript);
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Models"));
        start.ArgumentList.Add(folder.Path);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start /usr/bin/python3");
        process.StandardInput.Write(JsonSerializer.Serialize(cases.Select(c => new
        {
            id = c.Id, model = c.Model, num_classes = c.NumClasses, in_channels = c.InChannels,
            height = c.Height, width = c.Width, batch = c.Batch, seed = c.Seed,
            kwargs = c.Kwargs ?? new Dictionary<string, object>(),
        })));
        process.StandardInput.Close();
        var errors = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"torchvision reference failed (run ./test.sh, which installs python3-torch and python3-torchvision):\n{errors.Result}");
    }

    public string WeightsFile(ParityCase c) => folder.File($"{c.Id}.weights.pt");

    public string InputOutputFile(ParityCase c) => folder.File($"{c.Id}.io.pt");

    public void Dispose() => folder.Dispose();
}

/// <summary>
/// The vision transformers load torchvision's state dicts and give its outputs in eval mode, with the
/// same tolerance as <see cref="ParityTests{TCases}"/>: max |difference| ≤ 1e-4 × max(1, largest output).
/// </summary>
public sealed class VisionTransformerParityTests(VisionTransformerReferences references, ITestOutputHelper output)
    : IClassFixture<VisionTransformerReferences>
{
    public static TheoryData<string> EverydayIds() => new(new VisionTransformerCases().Everyday.Select(c => c.Id));

    public static TheoryData<string> LargeIds() => new(new VisionTransformerCases().Large.Select(c => c.Id));

    [Theory]
    [MemberData(nameof(EverydayIds))]
    public void Outputs_match_torchvision(string id) => AssertParity(new VisionTransformerCases().Everyday.Single(c => c.Id == id));

    [Theory]
    [MemberData(nameof(LargeIds))]
    public void Large_model_outputs_match_torchvision(string id)
    {
        if (!ParityTests<VisionTransformerCases>.IncludeLarge) return;
        AssertParity(new VisionTransformerCases().Large.Single(c => c.Id == id));
    }

    private static readonly Dictionary<string, VisionTransformer.Variant> Variants = new()
    {
        ["vit_b_16"] = VisionTransformer.B16,
        ["vit_b_32"] = VisionTransformer.B32,
        ["vit_l_16"] = VisionTransformer.L16,
        ["vit_l_32"] = VisionTransformer.L32,
        ["vit_h_14"] = VisionTransformer.H14,
    };

    /// <summary>The zoo's model at 224; at another image size, the same variant built for that size.</summary>
    private static ImageClassifier Build(ParityCase c)
    {
        var options = new ModelOptions(c.NumClasses, c.InChannels);
        return c.Kwargs?.TryGetValue("image_size", out var size) == true
            ? new VisionTransformer(Variants[c.Model], options, imageSize: (int)size)
            : ModelZoo.Create(c.Model, options);
    }

    private void AssertParity(ParityCase c)
    {
        using var model = Build(c);
        WeightsFile.LoadInto(model, references.WeightsFile(c));
        model.eval();
        var io = PyTorchUnpickler.UnpickleStateDict(references.InputOutputFile(c));
        using var input = (Tensor)io["input"]!;
        using var expected = (Tensor)io["output"]!;
        using var _ = no_grad();
        using var actual = model.call(input);

        Assert.Equal(expected.shape, actual.shape);
        double difference = (actual - expected).abs().max().item<float>();
        double scale = Math.Max(1.0, expected.abs().max().item<float>());
        output.WriteLine($"{c.Id}: max |difference| {difference:E2}, largest reference output {expected.abs().max().item<float>():F2}");
        Assert.True(expected.abs().max().item<float>() > 0.1, $"{c.Id}: the reference logits are all near zero, so they prove nothing");
        Assert.True(difference <= 1e-4 * scale, $"{c.Id}: max difference {difference:E2} (reference scale {scale:F2})");
    }

    [Fact]
    public void Dropout_acts_only_in_training_and_lets_gradients_through()
    {
        using var model = new VisionTransformer(VisionTransformer.B32, new ModelOptions(10, 3), imageSize: 64, dropout: 0.1, attentionDropout: 0.1);
        // A zero head would hide every difference.
        using (no_grad()) model.state_dict()["heads.head.weight"].normal_();

        using var x = randn(2, 3, 64, 64);
        model.train();
        using (var logits = model.call(x))
        using (var loss = logits.square().mean())
            loss.backward();
        Assert.All(model.named_parameters(), p => Assert.True(p.parameter.grad is { } g && g.isfinite().all().item<bool>(), $"{p.name} has no finite gradient"));

        using var _ = no_grad();
        using var train1 = model.call(x);
        using var train2 = model.call(x);
        Assert.False(train1.allclose(train2), "dropout should be active in training mode");
        model.eval();
        using var eval1 = model.call(x);
        using var eval2 = model.call(x);
        Assert.True(eval1.allclose(eval2, rtol: 0, atol: 0), "evaluation must be deterministic");
    }

    [Fact]
    public void Images_of_another_size_are_refused_with_the_size_expected()
    {
        using var model = new VisionTransformer(VisionTransformer.B32, new ModelOptions(10, 3), imageSize: 64);
        using var x = zeros(1, 3, 96, 96);
        var e = Assert.Throws<ArgumentException>(() => model.call(x));
        Assert.Contains("64×64", e.Message);
    }

    [Theory]
    [InlineData("vit_b_16", 17.56)]
    [InlineData("vit_b_32", 4.41)]
    [InlineData("vit_l_16", 61.55)]
    [InlineData("vit_l_32", 15.38)]
    [InlineData("vit_h_14", 167.29)]
    public void Multiply_adds_agree_with_torchvisions_published_gflops(string name, double gflops)
    {
        // torchvision's figures count the attention products (Q·Kᵀ, weights·V) as well as the linears.
        double ours = ModelZoo.Find(name).ReferenceMacs / 1e9;
        Assert.True(Math.Abs(ours / gflops - 1) < 1e-3, $"{name}: {ours:F3} GMACs where torchvision publishes {gflops}");
    }
}
