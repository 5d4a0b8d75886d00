using VisionLab.Tests.Support;
using VisionLab.Models;
using static TorchSharp.torch;

namespace VisionLab.Tests.Models;

public class LeNetTests
{
    [Fact]
    public void Lenet5_has_the_classic_parameter_count()
    {
        // conv1 6*(25+1) + conv2 16*(6*25+1) + fc1 120*(400+1) + fc2 84*(120+1) + fc3 10*(84+1)
        using var model = ModelZoo.Create("lenet5", new ModelOptions(NumClasses: 10, InChannels: 1));
        Assert.Equal(156 + 2_416 + 48_120 + 10_164 + 850, model.ParameterCount());
        Assert.Equal(61_706, model.ParameterCount());
    }

    [Fact]
    public void Parameter_names_follow_the_layers_of_the_paper()
    {
        using var model = new LeNet5();
        Assert.Equal(
            ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
             "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"],
            model.named_parameters().Select(p => p.name));
    }

    [Fact]
    public void Features_and_head_compose_to_the_forward_pass()
    {
        using var model = new LeNet5();
        model.eval();
        using var x = randn(3, 1, 28, 28);
        using var logits = model.call(x);
        using var features = model.ForwardFeatures(x);
        using var viaHead = model.ForwardHead(features);
        Assert.Equal(new long[] { 3, 16, 5, 5 }, features.shape);
        Assert.Equal(new long[] { 3, 10 }, logits.shape);
        Assert.True(logits.allclose(viaHead));
    }

    [Fact]
    public void Reset_classifier_gives_a_new_head_and_keeps_the_backbone()
    {
        using var model = new LeNet5();
        var conv1Before = model.state_dict()["conv1.weight"].clone();
        model.ResetClassifier(4);
        using var logits = model.call(randn(2, 1, 28, 28));
        Assert.Equal(4, model.NumClasses);
        Assert.Equal(new long[] { 2, 4 }, logits.shape);
        Assert.True(model.state_dict()["conv1.weight"].SameAs(conv1Before));
        Assert.Equal(new long[] { 4, 84 }, model.state_dict()["fc3.weight"].shape);
    }

    [Fact]
    public void An_unknown_model_name_suggests_the_closest()
    {
        var e = Assert.Throws<VisionLabException>(() => ModelZoo.Create("lenet", new ModelOptions()));
        Assert.Contains("unknown model 'lenet'", e.Message);
        Assert.Contains("did you mean 'lenet5'", e.Message);
    }

    [Fact]
    public void The_registry_lists_lenet5_with_its_paper_and_input()
    {
        var info = ModelZoo.All.Single(m => m.Name == "lenet5");
        Assert.Equal("LeNet", info.Family);
        Assert.Equal(new VisionLab.Data.ImageShape(1, 28, 28), info.DefaultInput);
        Assert.Contains("1998", info.Paper);
    }
}
