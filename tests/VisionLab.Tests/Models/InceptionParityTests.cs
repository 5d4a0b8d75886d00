using VisionLab.Models;
using VisionLab.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VisionLab.Tests.Models;

public sealed class InceptionCases : IParityCases
{
    // torchvision_reference.py calibrates batch norms in training mode, where Inception v3 runs its
    // auxiliary head, and that head needs a 299×299 input (the backbone alone would take 75×75).
    public ParityCase[] Everyday =>
    [
        new("googlenet", 10, 3, 64, 64),
        new("googlenet", 1000, 1, 96, 96),
        new("inception_v3", 10, 3, 299, 299),
    ];

    public ParityCase[] Large =>
    [
        new("inception_v3", 1000, 3, 299, 299),
    ];
}

public sealed class InceptionParityTests(ParityReferences<InceptionCases> references, ITestOutputHelper output)
    : ParityTests<InceptionCases>(references, output)
{
    [Theory]
    [InlineData("googlenet", 6_624_904)]
    [InlineData("inception_v3", 23_834_568)]
    public void Without_auxiliary_heads_the_count_is_torchvisions(string name, long parameters)
    {
        using var model = ModelZoo.Create(name, new ModelOptions(AuxLogits: false));
        Assert.Equal(parameters, model.ParameterCount());
    }

    [Theory]
    [InlineData("googlenet", 64, 2)]
    [InlineData("inception_v3", 299, 1)]
    public void Training_mode_gives_the_auxiliary_logits(string name, int size, int heads)
    {
        using var model = ModelZoo.Create(name, new ModelOptions(NumClasses: 10));
        var network = Assert.IsAssignableFrom<IAuxiliaryClassifiers>(model);
        using var _ = no_grad();
        using var input = randn(2, 3, size, size);

        model.train();
        var (logits, auxiliary) = network.ForwardWithAuxiliary(input);
        Assert.Equal([2L, 10], logits.shape);
        Assert.Equal(heads, auxiliary.Count);
        Assert.All(auxiliary, a => Assert.Equal([2L, 10], a.shape));
        using (var main = model.call(input)) Assert.Equal([2L, 10], main.shape);
        logits.Dispose();
        foreach (var a in auxiliary) a.Dispose();

        model.ResetClassifier(4);
        (logits, auxiliary) = network.ForwardWithAuxiliary(input);
        Assert.Equal([2L, 4], logits.shape);
        Assert.All(auxiliary, a => Assert.Equal([2L, 4], a.shape));
        logits.Dispose();
        foreach (var a in auxiliary) a.Dispose();

        model.eval();
        (logits, auxiliary) = network.ForwardWithAuxiliary(input);
        Assert.Empty(auxiliary);
        logits.Dispose();
    }

    [Fact]
    public void Inception_v3s_auxiliary_head_names_the_input_it_is_too_small_for()
    {
        using var model = ModelZoo.Create("inception_v3", new ModelOptions(NumClasses: 10));
        using var _ = no_grad();
        using var input = randn(2, 3, 96, 96);
        model.train();
        var error = Assert.Throws<ArgumentException>(() => ((IAuxiliaryClassifiers)model).ForwardWithAuxiliary(input));
        Assert.Contains("96×96", error.Message);
        using var logits = model.call(input);
        Assert.Equal([2L, 10], logits.shape);
    }

    [Theory]
    [InlineData("googlenet", 64)]
    [InlineData("inception_v3", 96)]
    public void Without_auxiliary_heads_training_gives_none(string name, int size)
    {
        using var model = ModelZoo.Create(name, new ModelOptions(NumClasses: 10, AuxLogits: false));
        using var _ = no_grad();
        using var input = randn(2, 3, size, size);
        model.train();
        var (logits, auxiliary) = ((IAuxiliaryClassifiers)model).ForwardWithAuxiliary(input);
        using (logits) Assert.Equal([2L, 10], logits.shape);
        Assert.Empty(auxiliary);
    }
}
