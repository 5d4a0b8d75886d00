using System.Text.Json;
using VisionLab.Tests.Support;
using VisionLab.Training;

namespace VisionLab.Tests.Training.Workbench;

/// <summary>Experiments as YAML files: read, overridden key by key, refused with the key named, and
/// written back by the run so that the run folder's config.yaml repeats the run.</summary>
public sealed class ExperimentConfigTests
{
    private const string Recipe = """
        # ResNet-18 on Fashion-MNIST
        model: resnet18
        small_input: true
        epochs: 30
        batch_size: 128
        augment: crop:2,hflip
        optimizer:
          name: sgd
          lr: 0.1
          nesterov: true
          weight_decay: 5.0e-4
          no_decay_on_norm_and_bias: true
        schedule:
          name: multistep
          milestones: [15, 25]
          warmup_epochs: 1
        label_smoothing: 0.1
        ema:
          decay: 0.999
        """;

    [Fact]
    public void A_yaml_file_sets_nested_keys_and_leaves_the_rest_at_their_defaults()
    {
        using var dir = new TempFolder();
        string path = dir.File("exp.yaml");
        File.WriteAllText(path, Recipe);

        var config = ExperimentConfig.Load(path, []);

        Assert.Equal("resnet18", config.Model);
        Assert.True(config.SmallInput);
        Assert.Equal(128, config.BatchSize);
        Assert.Equal("crop:2,hflip", config.Augment);
        Assert.Equal(0.1, config.Optimizer.Lr);
        Assert.True(config.Optimizer.Nesterov);
        Assert.Equal(5e-4, config.Optimizer.WeightDecay);
        Assert.Equal([15, 25], config.Schedule.Milestones!);
        Assert.Equal(0.999, config.Ema!.Decay);
        Assert.Equal("fashion-mnist", config.Data);
        Assert.Equal(0.9, config.Optimizer.Betas[0]);
        Assert.Null(config.EarlyStopping);
        config.Validate();
    }

    [Fact]
    public void Overrides_apply_in_order_and_create_sections()
    {
        using var dir = new TempFolder();
        string path = dir.File("exp.yaml");
        File.WriteAllText(path, Recipe);

        var config = ExperimentConfig.Load(path,
            ["optimizer.lr=0.01", "epochs=3", "schedule.milestones=[1, 2]", "early_stopping.patience=2", "epochs=4", "augment='none'"]);

        Assert.Equal(0.01, config.Optimizer.Lr);
        Assert.Equal(4, config.Epochs);
        Assert.Equal([1, 2], config.Schedule.Milestones!);
        Assert.Equal(2, config.EarlyStopping!.Patience);
        Assert.Equal("none", config.Augment);
        Assert.True(config.Optimizer.Nesterov);
    }

    [Fact]
    public void The_written_yaml_reads_back_to_the_same_config()
    {
        using var dir = new TempFolder();
        string path = dir.File("exp.yaml");
        File.WriteAllText(path, Recipe);
        var config = ExperimentConfig.Load(path, ["data='/data/with: colon'", "seed=7", "augment=true"]);

        string written = dir.File("written.yaml");
        File.WriteAllText(written, ExperimentConfig.ToYaml(config));
        var again = ExperimentConfig.Load(written, []);

        Assert.Equal("true", config.Augment);
        Assert.Equal(JsonSerializer.Serialize(config), JsonSerializer.Serialize(again));
        Assert.Equal(JsonSerializer.Serialize(config), JsonSerializer.Serialize(ExperimentConfig.Bind(
            (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(ExperimentConfig.ToJson(config))!, "json")));
    }

    [Theory]
    [InlineData("optimizer:\n  lrr: 0.1\n", "unknown key 'optimizer.lrr'")]
    [InlineData("epoch: 3\n", "unknown key 'epoch'")]
    [InlineData("epochs: many\n", "key 'epochs' has a value of the wrong kind")]
    [InlineData("optimizer: sgd\n", "key 'optimizer' has a value of the wrong kind")]
    [InlineData("- a\n- b\n", "expected keys and values")]
    [InlineData("model: [resnet\n", "not valid YAML at line")]
    public void Mistakes_in_a_file_name_the_key_and_the_file(string yaml, string message)
    {
        using var dir = new TempFolder();
        string path = dir.File("bad.yaml");
        File.WriteAllText(path, yaml);

        var e = Assert.Throws<VisionLabException>(() => ExperimentConfig.Load(path, []));

        Assert.Contains(message, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Theory]
    [InlineData("optimizer.lr", "--set 'optimizer.lr': expected key=value")]
    [InlineData("epochs.count=3", "'epochs' is a value, not a section")]
    public void Malformed_overrides_are_refused(string assignment, string message)
    {
        var e = Assert.Throws<VisionLabException>(() => ExperimentConfig.Load(null, ["epochs=3", assignment]));
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("schedule.name=plateau", "schedule.mode min does not fit monitor test_accuracy", "monitor=test_accuracy")]
    [InlineData("early_stopping.patience=3", "early_stopping.mode min does not fit monitor test_accuracy", "monitor=test_accuracy")]
    [InlineData("accumulate_steps=0", "accumulate_steps 0 must be at least 1", "epochs=2")]
    [InlineData("transfer.freeze_epochs=1", "transfer (freezing the backbone) needs pretrained weights", "epochs=2")]
    [InlineData("optimizer.name=lion", "unknown optimizer 'lion' (choose sgd, adam, adamw, rmsprop)", "epochs=2")]
    public void Settings_no_run_could_use_are_refused_before_training(string assignment, string message, string other)
    {
        var config = ExperimentConfig.Load(null, [other, assignment]);
        var e = Assert.Throws<VisionLabException>(() => config.Validate());
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Every_recipe_in_configs_reads_and_passes_validation()
    {
        string folder = RepositoryFolder("configs");
        var recipes = Directory.GetFiles(folder, "*.yaml").Where(f => !f.EndsWith("tune_space.yaml", StringComparison.Ordinal)).ToList();
        Assert.True(recipes.Count >= 5, $"{folder} holds {recipes.Count} recipes");
        foreach (string recipe in recipes)
        {
            var config = ExperimentConfig.Load(recipe, []).Validate();
            Assert.True(VisionLab.Models.ModelZoo.Find(config.Model) is not null, recipe);
        }
        Assert.Equal(4, VisionLab.Tuning.SearchSpace.Load(Path.Combine(folder, "tune_space.yaml")).Parameters.Count);
    }

    /// <summary>A folder of the repository, found upwards from the test binaries.</summary>
    private static string RepositoryFolder(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, name)) && File.Exists(Path.Combine(dir.FullName, "VisionLab.sln")))
                return Path.Combine(dir.FullName, name);
        throw new DirectoryNotFoundException($"no {name} folder above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void Train_with_a_config_writes_the_resolved_config_which_repeats_the_run()
    {
        using var dir = new TempFolder();
        string path = dir.File("exp.yaml");
        File.WriteAllText(path, """
            model: lenet5
            epochs: 3
            train_limit: 512
            test_limit: 128
            optimizer: {name: adamw, weight_decay: 0.01}
            schedule: {name: onecycle}
            """);

        var first = CliRunner.Run("train", "--config", path, "--epochs", "1", "--set", "batch_size=32", "--out", dir.File("first"),
            "--tensorboard", "--json");
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Single(Directory.GetFiles(Path.Combine(dir.File("first"), "tensorboard"), "events.out.tfevents.*"));
        var saved = ExperimentConfig.Load(Path.Combine(dir.File("first"), "config.yaml"), []);
        Assert.Equal(1, saved.Epochs);
        Assert.Equal(32, saved.BatchSize);
        Assert.Equal("adamw", saved.Optimizer.Name);
        Assert.Equal(0.001, saved.Optimizer.Lr);
        Assert.Equal(0.01, saved.Optimizer.WeightDecay);
        Assert.True(saved.Tensorboard);

        var again = CliRunner.Run("train", "--config", Path.Combine(dir.File("first"), "config.yaml"), "--out", dir.File("again"), "--json");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(
            Checkpoint.ReadInfo(Path.Combine(dir.File("first"), "checkpoints", "last.ckpt")).TestAccuracy,
            Checkpoint.ReadInfo(Path.Combine(dir.File("again"), "checkpoints", "last.ckpt")).TestAccuracy);
    }
}
