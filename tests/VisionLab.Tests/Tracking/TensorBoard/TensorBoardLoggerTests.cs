using SkiaSharp;
using VisionLab.Data;
using VisionLab.Data.Transforms;
using VisionLab.Models;
using VisionLab.Tests.Support;
using VisionLab.Tracking.TensorBoard;
using VisionLab.Training;
using VisionLab.Training.Optimizers;
using VisionLab.Training.Schedules;
using static VisionLab.Tests.Tracking.TensorBoard.EventFileReader;

namespace VisionLab.Tests.Tracking.TensorBoard;

public class TensorBoardLoggerTests
{
    [Fact]
    public void A_two_epoch_training_run_leaves_every_value_in_the_event_file()
    {
        var data = FashionMnist.Full.Subset(320, 100);
        var normalize = new Normalize(data.Mean, data.Std);
        var train = new DataLoader(data.Train, 32, normalize, shuffle: true, seed: 5);
        var test = new DataLoader(data.Test, 100, normalize);
        var transform = new EvalTransform(1, 28, 28, data.Mean, data.Std);
        TorchSharp.torch.manual_seed(5);
        using var model = ModelZoo.Create("lenet5", new ModelOptions(10, 1));
        using var parameters = new FlatParameters(model.parameters());
        using var optimizer = new Sgd(parameters, 0.05);
        var witness = new Witness();
        using var dir = new TempFolder();
        using var logger = new TensorBoardLogger(dir.File("tensorboard"), SampleImages.Take(test, 16, transform, data.Classes), stepInterval: 4);
        var schedule = ScheduleFactory.Create(new ScheduleSettings { Name = "cosine" }, 0.05, 2, train.BatchesPerEpoch);
        var trainer = new Trainer(model, new TrainingPlan(optimizer, schedule), [logger, witness]);

        trainer.Fit(train, test, 2);

        // Read while the logger still holds the file open: what each epoch wrote is already on disk.
        Assert.Equal(Path.Combine(dir.File("tensorboard"), Path.GetFileName(logger.EventFile)), logger.EventFile);
        var events = ReadEvents(logger.EventFile);
        Assert.Equal("brain.Event:2", events[0].FileVersion);

        foreach (var epoch in trainer.History)
        {
            var expected = new (string Tag, double Value)[]
            {
                ("loss/train", epoch.TrainLoss), ("loss/test", epoch.TestLoss),
                ("accuracy/train", epoch.TrainAccuracy), ("accuracy/test", epoch.TestAccuracy),
                ("learning_rate", epoch.LearningRate), ("throughput/train_images_per_second", epoch.TrainImagesPerSecond),
                ("memory/resident_mb", epoch.ResidentMemoryMb),
            };
            foreach (var (tag, value) in expected)
                Assert.Equal((float)value, Assert.Single(EventFileTests.Values(events, tag, epoch.Epoch)).SimpleValue);

            foreach (var (name, values) in witness.Weights[epoch.Epoch - 1])
                EventFileTests.AssertHistogramOf(values, Assert.Single(EventFileTests.Values(events, $"weights/{name}", epoch.Epoch)).Histogram!);

            var image = Assert.Single(EventFileTests.Values(events, "predictions", epoch.Epoch)).Image!;
            using var png = SKBitmap.Decode(image.Png);
            Assert.NotNull(png);
            Assert.Equal((image.Width, image.Height), (png.Width, png.Height));
            // 16 images in 4 columns, each enlarged from 28 to at least 144 pixels.
            Assert.True(image.Width > 4 * 144, $"a {image.Width}-pixel-wide grid cannot hold 4 columns of enlarged images");
        }

        // 320 images in batches of 32: 10 steps an epoch, 20 in all, a running loss every 4th.
        var running = events.SelectMany(e => e.Values.Where(v => v.Tag == "loss/train_running").Select(v => (e.Step, v.SimpleValue))).ToList();
        Assert.Equal([4L, 8, 12, 16, 20], running.Select(r => r.Step));
        foreach (var (step, value) in running) Assert.Equal((float)witness.RunningLoss[step], value);

        // Nothing else in the file: one scalar each, one histogram per parameter tensor, one image, per epoch.
        int perEpoch = 7 + witness.Weights[0].Count + 1;
        Assert.Equal(1 + 2 * perEpoch + running.Count, events.Count);
    }

    [Fact]
    public void Sample_images_give_every_class_a_place()
    {
        var data = FashionMnist.Full.Subset(10, 500);
        var normalize = new Normalize(data.Mean, data.Std);
        var test = new DataLoader(data.Test, 64, normalize);
        using var samples = SampleImages.Take(test, 10, new EvalTransform(1, 28, 28, data.Mean, data.Std), data.Classes);

        // The first image of each class, in the split's order.
        var byFirstAppearance = Enumerable.Range(0, 10).OrderBy(label => Enumerable.Range(0, 500).First(i => data.Test.LabelOf(i) == label));
        Assert.Equal(byFirstAppearance, samples.Labels);
    }

    /// <summary>Records what the trainer reports, to compare the event file with.</summary>
    private sealed class Witness : ITrainerCallback
    {
        public Dictionary<long, double> RunningLoss { get; } = [];
        public List<Dictionary<string, float[]>> Weights { get; } = [];

        public void OnBatchEnd(Trainer trainer, in BatchProgress progress) =>
            RunningLoss[(long)(progress.Epoch - 1) * progress.Batches + progress.Batch] = progress.Loss;

        public void OnEpochEnd(Trainer trainer, EpochResult result, EvaluationResult evaluation) =>
            Weights.Add(trainer.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().contiguous().data<float>().ToArray()));
    }
}
