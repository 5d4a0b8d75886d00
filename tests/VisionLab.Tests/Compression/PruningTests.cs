using TorchSharp.Modules;
using VisionLab.Compression;
using VisionLab.Models;
using VisionLab.Models.Blocks;
using VisionLab.Tests.Support;
using VisionLab.Training;
using static TorchSharp.torch;

namespace VisionLab.Tests.Compression;

public class PruningTests
{
    /// <summary>
    /// Maps that contribute nothing (zeroed by their norm, smallest filters) are the ones channel
    /// pruning removes, and removing them must not change the network's outputs: so every tensor was
    /// cut at the same indices — producer, norms, depthwise filters, consumer. The model runs in
    /// training mode, where batch statistics keep every layer's activations near unit scale (at
    /// initialisation, eval-mode outputs of deep models are too small to show a wrong cut); a silent
    /// map is zero either way, as its norms' scale and shift are.
    /// </summary>
    [Theory]
    [InlineData("resnet18", 32)]
    [InlineData("resnet50", 32)]
    [InlineData("mobilenet_v2", 32)]
    [InlineData("shufflenet_v2_x0_5", 64)]
    public void Removing_maps_that_contribute_nothing_leaves_the_outputs_unchanged(string name, int size)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var model = ModelZoo.Create(name, new ModelOptions(10, 3));
        model.train();
        var groups = ChannelPruning.Groups(model);
        Assert.NotEmpty(groups);
        using (no_grad())
        {
            var random = new Random(5);
            foreach (var (_, g) in groups)
            {
                // A random half of the maps go silent.
                var silent = Enumerable.Range(0, (int)g.Channels).OrderBy(_ => random.Next()).Take((int)(g.Channels / 2)).Select(i => (long)i).ToArray();
                using var index = tensor(silent);
                g.Producer.weight.index_fill_(0, index, 1e-7);
                g.Norm.weight!.index_fill_(0, index, 0);
                g.Norm.bias!.index_fill_(0, index, 0);
                foreach (var (_, norm) in g.Filters)
                {
                    norm.bias!.index_fill_(0, index, 0);
                    norm.running_mean!.index_fill_(0, index, 0);
                }
            }
        }
        var x = randn(4, 3, size, size);
        Tensor Forward()
        {
            manual_seed(2); // the same dropout masks
            using var _ = no_grad();
            return model.call(x);
        }
        var before = Forward();
        long parametersBefore = model.parameters().Sum(p => p.numel());
        var widthsBefore = ChannelPruning.Widths(model);

        ChannelPruning.Prune(model, name, 0.5);

        Assert.All(ChannelPruning.Widths(model), w => Assert.Equal(widthsBefore[w.Key] / 2, w.Value));
        Assert.True(model.parameters().Sum(p => p.numel()) < parametersBefore * 0.85);
        var after = Forward();
        double scale = before.abs().max().item<float>(), difference = (after - before).abs().max().item<float>();
        Assert.True(scale > 0.1, $"outputs {scale:E2} too small to tell");
        // Summing fewer (zero) terms reorders float rounding, which batch statistics of four images
        // amplify a little; a wrong cut changes outputs by their own order of magnitude.
        Assert.True(difference < 1e-3 * scale, $"max difference {difference:E2} at output scale {scale:E2}");
    }

    [Fact]
    public void Channel_pruning_keeps_the_strongest_filters_and_a_uniform_share()
    {
        using var model = ModelZoo.Create("resnet18", new ModelOptions(10, 1));
        var first = ChannelPruning.Groups(model)[0];
        Assert.Equal("layer1.0.conv1", first.Name);
        Tensor strongest;
        using (no_grad())
        {
            var norms = first.Group.Producer.weight.abs().flatten(1).sum(1);
            strongest = first.Group.Producer.weight.index_select(0, norms.topk(16).indexes.sort().Values).clone();
        }
        ChannelPruning.Prune(model, "resnet18", 0.75);
        var widths = ChannelPruning.Widths(model);
        Assert.Equal(16, widths["layer1.0.conv1"]);
        Assert.Equal(128, widths["layer4.1.conv1"]);
        Assert.True(first.Group.Producer.weight.allclose(strongest, rtol: 0, atol: 0));
        Assert.Equal(16, first.Group.Consumer.in_channels);
        Assert.Equal(new long[] { 64, 16, 3, 3 }, first.Group.Consumer.weight.shape);
    }

    [Fact]
    public void Magnitude_pruning_zeroes_the_smallest_share_network_wide_and_keeps_it_zero()
    {
        using var model = ModelZoo.Create("lenet5", new ModelOptions(10, 1));
        var weights = WeightMasks.ConnectionWeights(model).ToList();
        long total = weights.Sum(w => w.numel());
        double smallestKept;
        using (no_grad())
        {
            var all = cat(weights.Select(w => w.abs().flatten()).ToList());
            smallestKept = all.sort().Values[(long)(0.6 * total)].item<float>();
        }
        using var masks = WeightMasks.Prune(model, 0.6);
        long zeros = weights.Sum(w => w.eq(0).sum().item<long>());
        Assert.InRange(zeros, (long)(0.6 * total) - 1, (long)(0.6 * total) + 1);
        Assert.All(weights, w => Assert.True(w.abs().masked_select(w.ne(0)).min().item<float>() >= smallestKept));

        // An optimiser step with momentum and weight decay moves every weight; the masks put the
        // pruned ones back to zero.
        using var optimizer = optim.SGD(model.parameters(), 0.1, momentum: 0.9, weight_decay: 0.01);
        for (int i = 0; i < 2; i++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.call(randn(8, 1, 28, 28)), randint(0, 10, 8)).backward();
            optimizer.step();
            masks.Apply();
        }
        Assert.Equal(zeros, weights.Sum(w => w.eq(0).sum().item<long>()));
    }

    [Fact]
    public void A_channel_pruned_fine_tuned_checkpoint_reloads_with_its_widths()
    {
        using var dir = new TempFolder();
        IdxWriter.WriteDataFolder(dir.File("data"), count: 64, classes: 4);
        var common = new TrainingConfig { Model = "resnet18", Data = dir.File("data"), Epochs = 1, BatchSize = 32 };
        var trained = TrainingJob.Run(common with { Out = dir.File("trained") }, []);
        var tuned = TrainingJob.Run(common with
        {
            Out = dir.File("tuned"), InitFrom = trained.Run.BestCheckpoint, Prune = "channels:0.5", Optimizer = new() { Lr = 0.001 },
        }, []);

        using var loaded = Checkpoint.Load(tuned.Run.LastCheckpoint);
        Assert.Equal(32, loaded.Info.ChannelWidths!["layer1.0.conv1"]);
        Assert.Equal(256, loaded.Info.ChannelWidths!["layer4.1.conv1"]);
        long parameters = loaded.Model.parameters().Sum(p => p.numel());
        Assert.Equal(tuned.Metrics.Parameters, parameters);
        Assert.True(parameters < trained.Metrics.Parameters * 0.6, $"{parameters} of {trained.Metrics.Parameters}");
        loaded.Model.Dispose();
    }

    [Fact]
    public void The_pruning_job_measures_before_and_after_and_writes_its_report()
    {
        using var dir = new TempFolder();
        var trained = TrainingJob.Run(new TrainingConfig
        {
            Model = "lenet5", Epochs = 2, TrainLimit = 4_000, TestLimit = 500, Out = dir.File("trained"),
        }, []);
        var outcome = PruningJob.Run(trained.Run.BestCheckpoint, PruningSpec.Parse("magnitude:0.8"),
            new TrainingConfig { Epochs = 1, TrainLimit = 4_000, TestLimit = 500, Optimizer = new() { Lr = 0.01 }, Out = dir.File("pruned") },
            TimeSpan.FromMilliseconds(50), []);

        Assert.Equal(["trained", "pruned", "fine-tuned"], outcome.Stages.Select(s => s.Stage));
        var (before, pruned, tuned) = (outcome.Stages[0], outcome.Stages[1], outcome.Stages[2]);
        Assert.Equal(trained.Metrics.BestTestAccuracy, before.TestAccuracy, 6);
        Assert.Equal(before.Parameters, tuned.Parameters);
        Assert.True(before.NonZeroWeights > 0.99 * before.ConnectionWeights);
        Assert.InRange(tuned.NonZeroWeights, 0.19 * before.ConnectionWeights, 0.21 * before.ConnectionWeights);
        Assert.True(tuned.CompressedMb < 0.6 * before.CompressedMb, $"gzip {tuned.CompressedMb} MB vs {before.CompressedMb} MB");
        Assert.True(tuned.TestAccuracy > 0.6, $"fine-tuned accuracy {tuned.TestAccuracy}");
        Assert.True(pruned.MillisecondsBatch1 > 0 && tuned.ImagesPerSecondBatch16 > 0);
        Assert.Contains("\"fine-tuned\"", File.ReadAllText(outcome.FineTuning.Run.PruningReport));
    }

    [Theory]
    [InlineData("magnitude", "is not METHOD:AMOUNT")]
    [InlineData("magnitude:1.5", "strictly between 0 and 1")]
    [InlineData("filters:0.5", "is not METHOD:AMOUNT")]
    public void Bad_pruning_specs_are_refused(string spec, string message) =>
        Assert.Contains(message, Assert.Throws<VisionLabException>(() => PruningSpec.Parse(spec)).Message);

    [Fact]
    public void Channel_pruning_a_model_without_block_channels_and_a_starting_point_of_another_model_are_refused()
    {
        using var lenet = ModelZoo.Create("lenet5", new ModelOptions(10, 1));
        Assert.Contains("magnitude pruning", Assert.Throws<VisionLabException>(() => ChannelPruning.Prune(lenet, "lenet5", 0.5)).Message);

        using var dir = new TempFolder();
        IdxWriter.WriteDataFolder(dir.File("data"), count: 64, classes: 4);
        var trained = TrainingJob.Run(new TrainingConfig { Model = "lenet5", Data = dir.File("data"), Epochs = 1, Out = dir.File("a") }, []);
        var e = Assert.Throws<VisionLabException>(() => TrainingJob.Run(new TrainingConfig
        {
            Model = "resnet18", Data = dir.File("data"), Epochs = 1, Out = dir.File("b"), InitFrom = trained.Run.BestCheckpoint,
        }, []));
        Assert.Contains("is a lenet5, not a resnet18", e.Message);
        Assert.False(Directory.Exists(dir.File("b")));
    }
}
