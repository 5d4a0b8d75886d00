using VisionLab.Models;
using VisionLab.Tests.Support;
using VisionLab.Training;
using static TorchSharp.torch;

namespace VisionLab.Tests.Models;

/// <summary>The small-input stem: 2× the final resolution on small images, the same parameters
/// (so the same weights load), remembered by checkpoints, refused where a family has none.</summary>
public class SmallInputTests
{
    [Theory]
    [InlineData("resnet18", 1, 2)]
    [InlineData("shufflenet_v2_x1_0", 1, 2)]
    [InlineData("mobilenet_v2", 1, 2)]
    [InlineData("mobilenet_v3_small", 1, 2)]
    public void The_stem_downsamples_half_as_much_with_the_same_parameters(string name, int standardSide, int smallSide)
    {
        using var standard = ModelZoo.Create(name, new ModelOptions(10, 1));
        using var small = ModelZoo.Create(name, new ModelOptions(10, 1, SmallInput: true));
        standard.eval();
        small.eval();
        using var _ = no_grad();
        using var x = randn(2, 1, 28, 28);
        using var standardFeatures = standard.ForwardFeatures(x);
        using var smallFeatures = small.ForwardFeatures(x);
        Assert.Equal(standardSide, standardFeatures.shape[^1]);
        Assert.Equal(smallSide, smallFeatures.shape[^1]);

        var standardShapes = standard.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        Assert.All(small.state_dict(), kv => Assert.Equal(standardShapes[kv.Key], kv.Value.shape));
        Assert.Equal(standardShapes.Count, small.state_dict().Count);
    }

    [Fact]
    public void A_family_without_one_is_refused_with_the_alternatives()
    {
        var e = Assert.Throws<VisionLabException>(() => ModelZoo.Create("vgg11", new ModelOptions(10, 1, SmallInput: true)));
        Assert.Contains("has no small-input stem", e.Message);
        Assert.Contains("ShuffleNet", e.Message);
    }

    [Fact]
    public void Checkpoints_remember_the_stem_and_starting_points_must_match_it()
    {
        using var dir = new TempFolder();
        IdxWriter.WriteDataFolder(dir.File("data"), count: 64, classes: 4);
        var common = new TrainingConfig { Model = "shufflenet_v2_x0_5", Data = dir.File("data"), Epochs = 1, BatchSize = 32, SmallInput = true };
        var run = TrainingJob.Run(common with { Out = dir.File("small") }, []);

        using var loaded = Checkpoint.Load(run.Run.BestCheckpoint);
        Assert.True(loaded.Info.SmallInput);
        using (no_grad())
        {
            using var features = loaded.Model.ForwardFeatures(zeros(1, 1, 28, 28));
            Assert.Equal(2, features.shape[^1]);
        }
        loaded.Model.Dispose();

        var e = Assert.Throws<VisionLabException>(() => TrainingJob.Run(common with
        {
            Out = dir.File("standard"), SmallInput = false, InitFrom = run.Run.BestCheckpoint,
        }, []));
        Assert.Contains("small-input stem", e.Message);
    }
}
