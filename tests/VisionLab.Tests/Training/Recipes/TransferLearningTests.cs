using VisionLab.Models;
using VisionLab.Tests.Support;
using VisionLab.Training.Optimizers;
using VisionLab.Training.Transfer;
using static TorchSharp.torch;

namespace VisionLab.Tests.Training.Recipes;

/// <summary>
/// The head of every zoo family is found by one rule and is exactly what ResetClassifier
/// replaces; a new head keeps the backbone's weights; pretrained weights for another class count
/// load into everything but the head; a frozen backbone does not move by a bit under any optimiser.
/// </summary>
public class TransferLearningTests
{
    /// <summary>The smallest model of each family.</summary>
    public static TheoryData<string> OnePerFamily() =>
        new(ModelZoo.All.GroupBy(m => m.Family).Select(g => g.OrderBy(m => m.ReferenceParameters).First().Name));

    [Theory]
    [MemberData(nameof(OnePerFamily))]
    public void The_head_is_what_reset_classifier_replaces(string name)
    {
        var info = ModelZoo.Find(name);
        using var model = ModelZoo.Create(name, new ModelOptions(7, info.DefaultInput.Channels));
        var head = TransferLearning.HeadParameterNames(model);
        var backbone = TransferLearning.BackboneParameterNames(model);
        Assert.NotEmpty(head);
        Assert.Equal(model.named_parameters().Count(), head.Count + backbone.Count);

        // Independent of the rule: the parameters whose shapes follow the class count.
        var shapes = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        model.ResetClassifier(9);
        var changed = model.named_parameters().Where(p => !p.parameter.shape.SequenceEqual(shapes[p.name])).Select(p => p.name);
        Assert.Equal(changed.Order(), head.Order());
        Assert.Equal(head, TransferLearning.HeadParameterNames(model));
    }

    [Theory]
    [InlineData("resnet18", "fc.weight,fc.bias")]
    [InlineData("squeezenet1_1", "classifier.1.weight,classifier.1.bias")]
    [InlineData("googlenet", "aux1.fc2.weight,aux1.fc2.bias,aux2.fc2.weight,aux2.fc2.bias,fc.weight,fc.bias")]
    [InlineData("lenet5", "fc3.weight,fc3.bias")]
    public void Heads_have_torchvision_names(string name, string expected)
    {
        using var model = ModelZoo.Create(name, new ModelOptions(5, name == "lenet5" ? 1 : 3));
        Assert.Equal(expected.Split(','), TransferLearning.HeadParameterNames(model));
    }

    [Fact]
    public void A_new_head_keeps_the_backbone_weights()
    {
        manual_seed(2);
        using var model = ModelZoo.Create("mobilenet_v3_small", new ModelOptions(10));
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var head = TransferLearning.ReplaceHead(model, 3);
        Assert.Equal(["classifier.3.weight", "classifier.3.bias"], head);
        Assert.Equal(3, model.NumClasses);
        foreach (var (name, value) in model.state_dict())
        {
            if (head.Contains(name)) Assert.Equal(3, value.shape[0]);
            else Assert.True(value.SameAs(before[name]), $"{name} changed with the head");
        }
    }

    [Fact]
    public void Pretrained_weights_for_other_classes_load_into_all_but_the_head()
    {
        manual_seed(3);
        using var pretrained = new LeNet5(numClasses: 10);
        manual_seed(4);
        using var model = new LeNet5(numClasses: 3);
        using var freshHead = model.state_dict()["fc3.weight"].clone();
        var kept = TransferLearning.LoadAllButHead(model, pretrained.state_dict(), "pretrained.ckpt");
        Assert.Equal(["fc3.weight", "fc3.bias"], kept);
        var source = pretrained.state_dict();
        foreach (var (name, value) in model.state_dict().Where(kv => !kv.Key.StartsWith("fc3.", StringComparison.Ordinal)))
            Assert.True(value.SameAs(source[name]), $"{name} was not loaded");
        Assert.True(model.state_dict()["fc3.weight"].SameAs(freshHead));

        var incomplete = source.Where(kv => kv.Key != "conv1.weight").ToDictionary(kv => kv.Key, kv => kv.Value);
        var e = Assert.Throws<VisionLabException>(() => TransferLearning.LoadAllButHead(model, incomplete, "pretrained.ckpt"));
        Assert.Contains("pretrained.ckpt does not fit the backbone", e.Message);
        Assert.Contains("missing keys: conv1.weight", e.Message);
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    [InlineData("adamw")]
    [InlineData("rmsprop")]
    public void A_frozen_backbone_does_not_move_by_a_bit(string optimizerName)
    {
        manual_seed(6);
        using var model = new LeNet5();
        var head = TransferLearning.HeadParameterNames(model);
        using var flat = new FlatParameters(model.named_parameters());
        using var optimizer = OptimizerFactory.Create(new OptimizerSettings
        {
            Name = optimizerName, Lr = 0.01, WeightDecay = 0.1, Momentum = optimizerName is "sgd" or "rmsprop" ? 0.9 : null,
            Centered = optimizerName == "rmsprop",
        }, flat);
        var freezing = new BackboneFreezing(head, new TransferSettings { FreezeEpochs = 1, BackboneLrScale = 0.1 });
        var backbone = flat.Names.Select((n, i) => (n, i)).Where(p => !head.Contains(p.n)).ToList();
        var initial = flat.Parameters.Select(p => p.detach().clone()).ToArray();
        using var generator = new Generator(8);

        void Steps()
        {
            for (int step = 0; step < 3; step++)
            {
                using var scope = NewDisposeScope();
                optimizer.ZeroGrad();
                nn.functional.cross_entropy(model.call(randn([4, 1, 28, 28], generator: generator)), randint(0, 10, [4], generator: generator)).backward();
                optimizer.Step();
            }
        }

        freezing.Apply(optimizer, 0);
        Steps();
        foreach (var (name, i) in backbone)
        {
            Assert.True(flat.Parameters[i].SameAs(initial[i]), $"{name} moved while frozen");
            Assert.Equal(0.0, optimizer.LearningRateScale(name));
        }
        Assert.All(head, name => Assert.False(flat.Parameters[flat.IndexOf(name)].SameAs(initial[flat.IndexOf(name)]), $"{name} did not train"));
        using (var backboneGradient = flat.Gradients.narrow(0, 0, flat.Offsets[flat.IndexOf(head[0])]))
            Assert.Equal(0f, backboneGradient.abs().max().item<float>());

        freezing.Apply(optimizer, 1);
        Steps();
        Assert.All(backbone, p => Assert.False(flat.Parameters[p.i].SameAs(initial[p.i]), $"{p.n} did not train once unfrozen"));
        Assert.Equal(0.1, optimizer.LearningRateScale(backbone[0].n));
        Assert.Equal(1.0, optimizer.LearningRateScale(head[0]));
    }
}
