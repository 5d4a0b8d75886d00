using System.Text.Json;
using SkiaSharp;
using VisionLab.Tests.Support;
using VisionLab.Training;

namespace VisionLab.Tests.Training;

public class TrainingTests
{
    private static TrainingConfig Short(string outFolder) => new()
    {
        Model = "lenet5",
        Data = "fashion-mnist",
        Epochs = 2,
        BatchSize = 64,
        TrainLimit = 6_000,
        TestLimit = 1_000,
        Seed = 7,
        Out = outFolder,
    };

    [Fact]
    public void A_short_seeded_run_learns_fashion_mnist_and_writes_a_complete_run_folder()
    {
        _ = FashionMnist.Full;
        using var dir = new TempFolder();
        var outcome = TrainingJob.Run(Short(dir.File("run")), []);
        var run = outcome.Run;

        // 6,000 images for two epochs: LeNet-5 is past 75% already (it reaches ~90% on the full set).
        Assert.True(outcome.Metrics.TestAccuracy >= 0.75, $"test accuracy {outcome.Metrics.TestAccuracy}");
        Assert.Equal(2, outcome.Metrics.History.Count);

        using var metrics = JsonDocument.Parse(File.ReadAllText(run.MetricsFile));
        var root = metrics.RootElement;
        Assert.Equal(outcome.Metrics.TestAccuracy, root.GetProperty("test_accuracy").GetDouble());
        Assert.True(root.GetProperty("test_loss").GetDouble() > 0);
        Assert.True(root.GetProperty("train_images_per_second").GetDouble() > 0);
        Assert.Equal(2, root.GetProperty("history").GetArrayLength());
        var perClass = root.GetProperty("per_class");
        Assert.Equal(10, perClass.GetArrayLength());
        Assert.Equal("T-shirt/top", perClass[0].GetProperty("class").GetString());
        foreach (string field in new[] { "precision", "recall", "f1" })
            Assert.InRange(perClass[1].GetProperty(field).GetDouble(), 0.0, 1.0);

        foreach (string image in new[] { run.CurvesImage, run.ConfusionMatrixImage, run.MisclassifiedImage })
        {
            using var bitmap = SKBitmap.Decode(image);
            Assert.True(bitmap is { Width: > 400, Height: > 300 }, $"{image} is not a readable chart");
        }
        Assert.Equal(outcome.Metrics.Top5Accuracy, root.GetProperty("top5_accuracy").GetDouble());
        Assert.True(outcome.Metrics.Top5Accuracy >= outcome.Metrics.TestAccuracy);
        using var evaluation = JsonDocument.Parse(File.ReadAllText(run.EvaluationFile));
        Assert.Equal(outcome.Metrics.TestAccuracy, evaluation.RootElement.GetProperty("top1_accuracy").GetDouble());
        Assert.Equal(36, evaluation.RootElement.GetProperty("misclassified_shown").GetArrayLength());
        Assert.True(File.Exists(run.BestCheckpoint));
        Assert.True(File.Exists(run.LastCheckpoint));
        Assert.Empty(Directory.GetFiles(run.Root, "*.tmp", SearchOption.AllDirectories));
        using var config = JsonDocument.Parse(File.ReadAllText(run.ConfigFile));
        Assert.Equal(0.05, config.RootElement.GetProperty("optimizer").GetProperty("lr").GetDouble());

        using var best = Checkpoint.Load(run.BestCheckpoint);
        Assert.Equal(outcome.Metrics.BestTestAccuracy, best.Info.TestAccuracy);
    }

    [Fact]
    public void The_same_seed_gives_the_same_weights_twice()
    {
        using var dir = new TempFolder();
        var config = Short(dir.File("a")) with { Epochs = 1, TrainLimit = 2_000, TestLimit = 200 };
        var first = TrainingJob.Run(config, []);
        var second = TrainingJob.Run(config with { Out = dir.File("b") }, []);

        using var a = Checkpoint.Load(first.Run.LastCheckpoint);
        using var b = Checkpoint.Load(second.Run.LastCheckpoint);
        foreach (var ((name, wa), (_, wb)) in a.Model.state_dict().Zip(b.Model.state_dict()))
            Assert.True(wa.SameAs(wb), $"{name} differs between two runs with the same seed");
        Assert.Equal(first.Metrics.TestAccuracy, second.Metrics.TestAccuracy);
    }

    [Fact]
    public void A_zoo_model_trains_on_fashion_mnist_at_a_larger_image_size()
    {
        using var dir = new TempFolder();
        var config = Short(dir.File("run")) with { Model = "resnet18", Epochs = 1, TrainLimit = 640, TestLimit = 200, ImageSize = 32 };
        var outcome = TrainingJob.Run(config, []);
        using var best = Checkpoint.Load(outcome.Run.BestCheckpoint);
        Assert.Equal(new VisionLab.Data.ImageShape(1, 32, 32), best.Info.EvalTransform.Input);
        Assert.Equal(1, best.Info.InChannels);
        Assert.InRange(outcome.Metrics.TestAccuracy, 0.0, 1.0);
    }

    [Fact]
    public void Auxiliary_classifiers_receive_gradient_in_training()
    {
        var data = FashionMnist.Full.Subset(32, 16);
        var normalize = new VisionLab.Data.Transforms.Normalize(data.Mean, data.Std);
        var train = new VisionLab.Data.DataLoader(data.Train, 16, normalize, shuffle: true, outputSize: (64, 64));
        var test = new VisionLab.Data.DataLoader(data.Test, 16, normalize, outputSize: (64, 64));
        TorchSharp.torch.manual_seed(3);
        using var model = VisionLab.Models.ModelZoo.Create("googlenet", new VisionLab.Models.ModelOptions(10, 1));
        using var parameters = new VisionLab.Training.Optimizers.FlatParameters(model.parameters());
        using var optimizer = new VisionLab.Training.Optimizers.Sgd(parameters, 0.01);
        var schedule = VisionLab.Training.Schedules.ScheduleFactory.Create(new() { Name = "constant" }, 0.01, 1, train.BatchesPerEpoch);
        var trainer = new Trainer(model, new TrainingPlan(optimizer, schedule), []);

        trainer.Fit(train, test, 1);

        // The last batch's gradients are still in the buffer: both side heads got some.
        foreach (string head in new[] { "aux1.", "aux2." })
        {
            double gradient = model.named_parameters().Where(p => p.name.StartsWith(head, StringComparison.Ordinal))
                .Sum(p => p.parameter.grad!.abs().sum().item<float>());
            Assert.True(gradient > 0, $"{head} received no gradient");
        }
    }

    [Fact]
    public void A_run_resumed_from_a_checkpoint_without_elapsed_times_counts_its_earlier_epochs_own_times()
    {
        var data = FashionMnist.Full.Subset(64, 32);
        var normalize = new VisionLab.Data.Transforms.Normalize(data.Mean, data.Std);
        var train = new VisionLab.Data.DataLoader(data.Train, 32, normalize, shuffle: true);
        var test = new VisionLab.Data.DataLoader(data.Test, 32, normalize);
        using var model = VisionLab.Models.ModelZoo.Create("lenet5", new VisionLab.Models.ModelOptions(10, 1));
        using var parameters = new VisionLab.Training.Optimizers.FlatParameters(model.parameters());
        using var optimizer = new VisionLab.Training.Optimizers.Sgd(parameters, 0.01);
        var schedule = VisionLab.Training.Schedules.ScheduleFactory.Create(new() { Name = "constant" }, 0.01, 3, train.BatchesPerEpoch);
        var trainer = new Trainer(model, new TrainingPlan(optimizer, schedule), []);
        // Two epochs as an older checkpoint holds them: 100 s of training and 20 s of evaluation each, no elapsed time.
        EpochResult Old(int epoch) => new(epoch, 0.01, 1.0, 0.5, 1.0, 0.5, 100, 64 / 100.0, 20, 300);
        trainer.Resume([Old(1), Old(2)], 2 * train.BatchesPerEpoch, optimizer.State().ToDictionary(s => s.Name, s => s.Value),
            trainer.TrainingState().ToDictionary(s => s.Name, s => s.Value));

        trainer.Fit(train, test, 3);

        var third = trainer.History[^1];
        Assert.Equal(3, third.Epoch);
        Assert.InRange(third.ElapsedSeconds, 240 + third.TrainSeconds + third.EvalSeconds, 240 + 60);
    }

    [Fact]
    public void A_run_folder_that_already_holds_a_run_is_not_overwritten()
    {
        using var dir = new TempFolder();
        var config = Short(dir.File("run")) with { Epochs = 1, TrainLimit = 500, TestLimit = 100 };
        TrainingJob.Run(config, []);
        var e = Assert.Throws<VisionLabException>(() => TrainingJob.Run(config, []));
        Assert.Contains("already holds a run", e.Message);
    }

    [Fact]
    public void Images_of_a_size_the_model_cannot_take_are_refused_before_training()
    {
        using var dir = new TempFolder();
        IdxWriter.WriteDataFolder(dir.File("data"), count: 20, height: 12, width: 12);
        var e = Assert.Throws<VisionLabException>(() =>
            TrainingJob.Run(Short(dir.File("run")) with { Data = dir.File("data") }, []));
        Assert.Contains("model lenet5 cannot take 1x12x12 images", e.Message);
    }
}
