using VisionLab.Data.Transforms;
using VisionLab.Models;
using VisionLab.Tests.Support;
using VisionLab.Training;
using static TorchSharp.torch;

namespace VisionLab.Tests.Training;

public class CheckpointTests
{
    private static CheckpointInfo Describe(string model = "lenet5", int classes = 10) => new()
    {
        Model = model,
        NumClasses = classes,
        InChannels = 1,
        Classes = Enumerable.Range(0, classes).Select(i => $"class {i}").ToArray(),
        EvalTransform = new EvalTransform(1, 28, 28, [0.286f], [0.353f]),
        Data = "fashion-mnist",
        Epoch = 3,
        TestAccuracy = 0.9,
    };

    [Fact]
    public void A_saved_model_loads_back_with_identical_outputs_and_description()
    {
        using var dir = new TempFolder();
        manual_seed(3);
        using var model = new LeNet5();
        model.eval();
        using var x = randn(4, 1, 28, 28);
        using var expected = model.call(x);
        string path = dir.File("model.ckpt");

        Checkpoint.Save(path, Describe(), model, [("momentum_buffer", ones(5))]);
        using var loaded = Checkpoint.Load(path);
        using var actual = loaded.Model.call(x);

        Assert.True(actual.SameAs(expected));
        Assert.Equal("lenet5", loaded.Info.Model);
        Assert.Equal("class 9", loaded.Info.Classes[9]);
        Assert.Equal([0.286f], loaded.Info.EvalTransform.Mean);
        Assert.Equal(3, loaded.Info.Epoch);
        Assert.True(loaded.OptimizerState["momentum_buffer"].SameAs(ones(5)));
    }

    [Fact]
    public void A_checkpoint_with_a_weight_average_gives_it_for_use_and_the_training_weights_to_resume()
    {
        using var dir = new TempFolder();
        manual_seed(4);
        using var model = new LeNet5();
        using var other = new LeNet5();
        var average = other.state_dict().Select(kv => (kv.Key, kv.Value)).ToList();
        string path = dir.File("last.ckpt");

        Checkpoint.Save(path, Describe(), model, weightAverage: average);

        using var used = Checkpoint.Load(path);
        using var resumed = Checkpoint.Load(path, which: CheckpointWeights.Training);
        Assert.True(used.WeightAverage);
        Assert.False(resumed.WeightAverage);
        foreach (var (name, value) in other.state_dict()) Assert.True(used.Model.state_dict()[name].SameAs(value), name);
        foreach (var (name, value) in model.state_dict()) Assert.True(resumed.Model.state_dict()[name].SameAs(value), name);

        // A checkpoint without an average gives its one set of weights either way.
        Checkpoint.Save(path, Describe(), model);
        using var plain = Checkpoint.Load(path);
        Assert.False(plain.WeightAverage);
        foreach (var (name, value) in model.state_dict()) Assert.True(plain.Model.state_dict()[name].SameAs(value), name);
    }

    [Fact]
    public void A_missing_checkpoint_is_named()
    {
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load("/nonexistent/best.ckpt"));
        Assert.Equal("checkpoint /nonexistent/best.ckpt: file not found", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_checkpoint_is_refused()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("notes.ckpt"), "these are my notes, not a model");
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(dir.File("notes.ckpt")));
        Assert.Contains("not a VisionLab checkpoint", e.Message);
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("truncate")]
    public void A_corrupt_or_truncated_checkpoint_is_caught_by_its_checksum(string damage)
    {
        using var dir = new TempFolder();
        using var model = new LeNet5();
        string path = dir.File("model.ckpt");
        Checkpoint.Save(path, Describe(), model);
        var bytes = File.ReadAllBytes(path);
        if (damage == "flip") bytes[bytes.Length / 2] ^= 0xFF;
        else bytes = bytes[..(bytes.Length * 2 / 3)];
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("corrupt", e.Message);
    }

    [Fact]
    public void Weights_for_another_head_are_refused_with_the_keys_named()
    {
        using var dir = new TempFolder();
        using var model = new LeNet5(numClasses: 10);
        string path = dir.File("model.ckpt");
        // The description claims 4 classes; the saved head has 10.
        Checkpoint.Save(path, Describe(classes: 4), model);

        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path));

        Assert.Contains("wrong shapes: fc3.weight [10, 84] where the model has [4, 84]", e.Message);
    }

    [Fact]
    public void Strict_loading_names_missing_and_unexpected_keys_and_changes_nothing()
    {
        using var model = new LeNet5();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var weights = model.state_dict().Where(kv => kv.Key != "fc1.bias")
            .ToDictionary(kv => kv.Key, kv => kv.Value.clone().fill_(1f));
        weights["fc4.weight"] = zeros(3);

        var e = Assert.Throws<VisionLabException>(() => StateDict.LoadStrict(model, weights, "weights.pt"));

        Assert.Contains("missing keys: fc1.bias", e.Message);
        Assert.Contains("unexpected keys: fc4.weight", e.Message);
        foreach (var (name, value) in model.state_dict())
            Assert.True(value.SameAs(before[name]), $"{name} was changed by a refused load");
    }
}
