using VisionLab.Models;

namespace VisionLab.Tests.Models;

public class ZooTests
{
    /// <summary>Over 100 million parameters or 20 billion multiply-adds: building and running one
    /// takes up to a minute and a half here, so they run with VISIONLAB_PARITY_ALL=1 only.</summary>
    private static bool IsLarge(ModelInfo m) => m.ReferenceParameters > 100_000_000 || m.ReferenceMacs > 20_000_000_000;

    public static TheoryData<string> EverydayModels() => new(ModelZoo.All.Where(m => !IsLarge(m)).Select(m => m.Name));

    public static TheoryData<string> LargeModels() => new(ModelZoo.All.Where(IsLarge).Select(m => m.Name));

    [Theory]
    [MemberData(nameof(EverydayModels))]
    public void Parameter_count_and_multiply_adds_equal_the_reference(string name) => AssertReferenceFigures(name);

    [Theory]
    [MemberData(nameof(LargeModels))]
    public void Large_model_parameter_count_and_multiply_adds_equal_the_reference(string name)
    {
        if (!ParityTests<ResNetCases>.IncludeLarge) return;
        AssertReferenceFigures(name);
    }

    private static void AssertReferenceFigures(string name)
    {
        var info = ModelZoo.Find(name);
        using var model = info.Build(info.ReferenceOptions);
        Assert.Equal(info.ReferenceParameters, model.ParameterCount());
        var input = info.DefaultInput;
        var summary = ModelSummary.Of(name, model, [1, input.Channels, input.Height, input.Width]);
        Assert.Equal(info.ReferenceMacs, summary.Macs);
        Assert.Equal(new long[] { 1, info.ReferenceClasses }, summary.OutputShape);
    }

    [Fact]
    public void Resnet18_and_resnet50_have_torchvisions_published_operation_counts()
    {
        // torchvision lists 1.814 and 4.089 GFLOPS (multiply-adds of convolutions and linear layers).
        Assert.Equal(1.814, ModelZoo.Find("resnet18").ReferenceMacs / 1e9, 3);
        Assert.Equal(4.089, ModelZoo.Find("resnet50").ReferenceMacs / 1e9, 3);
    }

    /// <summary>One model per family, the prefix its head's keys start with, and an input it takes.</summary>
    [Theory]
    [InlineData("alexnet", "classifier.6.", 96)]
    [InlineData("vgg11_bn", "classifier.6.", 96)]
    [InlineData("squeezenet1_1", "classifier.1.", 96)]
    [InlineData("resnet18", "fc.", 96)]
    [InlineData("densenet121", "classifier.", 96)]
    [InlineData("googlenet", "fc.|aux1.fc2.|aux2.fc2.", 96)]
    [InlineData("mobilenet_v2", "classifier.1.", 64)]
    [InlineData("mobilenet_v3_small", "classifier.3.", 64)]
    [InlineData("mnasnet0_5", "classifier.1.", 64)]
    [InlineData("shufflenet_v2_x0_5", "fc.", 64)]
    [InlineData("regnet_y_400mf", "fc.", 64)]
    [InlineData("efficientnet_b0", "classifier.1.", 64)]
    [InlineData("convnext_tiny", "classifier.2.", 64)]
    [InlineData("vit_b_32", "heads.head.", 224)]
    [InlineData("swin_t", "head.", 64)]
    public void Reset_classifier_changes_only_the_head(string name, string headPrefixes, int size)
    {
        string[] head = headPrefixes.Split('|');
        bool InHead(string key) => head.Any(h => key.StartsWith(h, StringComparison.Ordinal));
        using var model = ModelZoo.Create(name, new ModelOptions(10, 3));
        var names = model.named_parameters().Select(p => p.name).ToList();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        model.ResetClassifier(7);
        model.eval();
        using var x = TorchSharp.torch.randn(2, 3, size, size);
        using var logits = model.call(x);

        Assert.Equal(7, model.NumClasses);
        Assert.Equal(new long[] { 2, 7 }, logits.shape);
        Assert.Equal(names, model.named_parameters().Select(p => p.name));
        var changed = model.state_dict().Where(kv => !kv.Value.shape.SequenceEqual(before[kv.Key].shape)).Select(kv => kv.Key).ToList();
        Assert.NotEmpty(changed);
        Assert.All(changed, key => Assert.True(InHead(key), $"{key} changed shape but is not in the head"));
        Assert.All(model.state_dict().Where(kv => !InHead(kv.Key)),
            kv => Assert.True(kv.Value.equal(before[kv.Key]).all().item<bool>(), $"{kv.Key} changed"));
    }

    [Theory]
    [InlineData("lenet5", 0)]
    [InlineData("resnet18", 0)]
    [InlineData("googlenet", -3)]
    public void Reset_classifier_refuses_fewer_than_one_class_and_keeps_the_head(string name, int numClasses)
    {
        using var model = ModelZoo.Create(name, new ModelOptions(10, name == "lenet5" ? 1 : 3));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.ResetClassifier(numClasses));
        Assert.Contains($"at least one class, not {numClasses}", error.Message);
        Assert.Equal(10, model.NumClasses);
    }

    [Fact]
    public void Every_model_has_reference_metadata()
    {
        Assert.All(ModelZoo.All, m =>
        {
            Assert.True(m.ReferenceParameters > 0, $"{m.Name} has no reference parameter count");
            Assert.True(m.ReferenceMacs > 0, $"{m.Name} has no reference multiply-add count");
            Assert.False(string.IsNullOrWhiteSpace(m.Paper), $"{m.Name} cites no paper");
        });
    }
}
