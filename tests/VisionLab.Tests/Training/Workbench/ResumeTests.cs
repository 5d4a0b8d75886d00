using System.Diagnostics;
using VisionLab.Tests.Support;
using VisionLab.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VisionLab.Tests.Training.Workbench;

/// <summary>
/// A run killed with SIGKILL and resumed with <c>train --resume</c> ends with exactly the weights of
/// the same run left alone: the checkpoint carries the optimiser's moments, the schedule, the weight
/// average, the random generator (MobileNet V3's dropout draws from it) and the step, and the loader
/// draws each epoch's order and augmentation from the seed and the epoch alone.
/// </summary>
public sealed class ResumeTests(ITestOutputHelper output)
{
    // A recipe with every stateful piece: AdamW moments, warm-up then cosine, accumulation over two
    // batches, clipping, label smoothing, an EMA of the weights, random crops and flips, and dropout.
    private static readonly string[] Recipe =
    [
        "train", "--model", "mobilenet_v3_small", "--small-input", "--train-limit", "640", "--test-limit", "200",
        "--epochs", "4", "--batch-size", "32", "--optimizer", "adamw", "--lr", "0.002", "--augment", "crop:2,hflip",
        "--label-smoothing", "0.1", "--set", "ema.decay=0.9", "--set", "accumulate_steps=2", "--set", "schedule.warmup_epochs=1",
        "--set", "clip_grad_norm=5", "--threads", "2", "--json",
    ];

    [Fact]
    public void A_run_killed_after_two_epochs_and_resumed_ends_with_the_weights_of_an_uninterrupted_one()
    {
        using var dir = new TempFolder();
        string straight = dir.File("straight"), interrupted = dir.File("interrupted");
        var clock = Stopwatch.StartNew();
        var whole = CliRunner.Run([.. Recipe, "--out", straight]);
        Assert.True(whole.ExitCode == 0, whole.Stderr);
        output.WriteLine($"uninterrupted run: {clock.Elapsed.TotalSeconds:F1} s");

        int killedAfter = RunUntilKilled([.. Recipe, "--out", interrupted], Path.Combine(interrupted, "checkpoints", "last.ckpt"), epochs: 2);
        output.WriteLine($"killed after {killedAfter} epochs");
        Assert.InRange(killedAfter, 2, 3);
        // A write cut short by the kill leaves a temporary file beside the checkpoint; resuming ignores it.
        File.WriteAllBytes(Path.Combine(interrupted, "checkpoints", ".last.ckpt.0123456789abcdef.tmp"), [1, 2, 3]);

        var resumed = CliRunner.Run("train", "--resume", interrupted, "--json");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);

        using var expected = Checkpoint.Load(Path.Combine(straight, "checkpoints", "last.ckpt"), which: CheckpointWeights.Training);
        using var actual = Checkpoint.Load(Path.Combine(interrupted, "checkpoints", "last.ckpt"), which: CheckpointWeights.Training);
        using var expectedModel = expected.Model;
        using var actualModel = actual.Model;
        Assert.Equal(4, actual.Info.Epoch);
        Assert.Equal(expected.Info.Step, actual.Info.Step);
        AssertBitIdentical("weights", expectedModel.state_dict(), actualModel.state_dict());
        AssertBitIdentical("optimiser state", expected.OptimizerState, actual.OptimizerState);
        AssertBitIdentical("training state", expected.TrainingState, actual.TrainingState);
        Assert.Equal(expected.Info.History!.Select(h => h.TestAccuracy), actual.Info.History!.Select(h => h.TestAccuracy));
        Assert.Equal(expected.Info.History!.Select(h => h.TrainLoss), actual.Info.History!.Select(h => h.TrainLoss));
        Assert.Contains("\"epochs_completed\": 4", File.ReadAllText(Path.Combine(interrupted, "metrics.json")));

        using var expectedAverage = Checkpoint.Load(Path.Combine(straight, "checkpoints", "last.ckpt"));
        using var actualAverage = Checkpoint.Load(Path.Combine(interrupted, "checkpoints", "last.ckpt"));
        using var expectedAveraged = expectedAverage.Model;
        using var actualAveraged = actualAverage.Model;
        Assert.True(actualAverage.WeightAverage);
        AssertBitIdentical("weight average", expectedAveraged.state_dict(), actualAveraged.state_dict());
    }

    [Fact]
    public void The_last_checkpoint_of_a_run_with_a_weight_average_evaluates_as_its_last_epoch_did()
    {
        // The run evaluates the average but trains the live weights; a user evaluating last.ckpt
        // must get the figure the run reported for its last epoch, not the live weights' one.
        using var dir = new TempFolder();
        string run = dir.File("run");
        var trained = CliRunner.Run("train", "--train-limit", "1024", "--test-limit", "300", "--epochs", "2",
            "--set", "ema.decay=0.9", "--threads", "2", "--out", run, "--json");
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        string last = Path.Combine(run, "checkpoints", "last.ckpt");

        using var used = Checkpoint.Load(last);
        using var live = Checkpoint.Load(last, which: CheckpointWeights.Training);
        using var usedModel = used.Model;
        using var liveModel = live.Model;
        Assert.True(used.WeightAverage);
        Assert.False(live.WeightAverage);
        Assert.False(usedModel.state_dict()["conv1.weight"].SameAs(liveModel.state_dict()["conv1.weight"]), "the average equals the live weights");

        var test = TrainingData.ForCheckpoint(used.Info, null, 100, CPU, limit: 300).Batches;
        var evaluated = Evaluator.Evaluate(usedModel, test, used.Info.NumClasses, 0, CancellationToken.None);
        var reported = used.Info.History![^1];
        Assert.Equal(reported.TestAccuracy, evaluated.Accuracy);
        Assert.Equal(reported.TestLoss, evaluated.Loss, 4);
    }

    [Fact]
    public void Resuming_a_finished_run_or_a_folder_without_a_checkpoint_says_what_to_do()
    {
        using var dir = new TempFolder();
        string run = dir.File("run");
        var first = CliRunner.Run("train", "--train-limit", "256", "--test-limit", "64", "--epochs", "1", "--out", run, "--json");
        Assert.True(first.ExitCode == 0, first.Stderr);

        var finished = CliRunner.Run("train", "--resume", run);
        Assert.Equal(1, finished.ExitCode);
        Assert.Contains("already completed 1 of 1 epochs; give more --epochs", finished.Stderr);

        var extended = CliRunner.Run("train", "--resume", run, "--epochs", "2", "--json");
        Assert.True(extended.ExitCode == 0, extended.Stderr);
        Assert.Equal(2, Checkpoint.ReadInfo(Path.Combine(run, "checkpoints", "last.ckpt")).Epoch);
        // Wall time counts both sittings: epoch 2's clock starts where epoch 1's stopped.
        using (var metrics = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json"))))
        {
            var epochs = metrics.RootElement.GetProperty("history").EnumerateArray().ToList();
            double Field(int i, string name) => epochs[i].GetProperty(name).GetDouble();
            Assert.True(Field(0, "elapsed_seconds") >= Field(0, "train_seconds") + Field(0, "eval_seconds"));
            Assert.True(Field(1, "elapsed_seconds") >= Field(0, "elapsed_seconds") + Field(1, "train_seconds") + Field(1, "eval_seconds"));
            Assert.Equal(Field(1, "elapsed_seconds"), metrics.RootElement.GetProperty("wall_seconds").GetDouble());
        }

        Directory.CreateDirectory(dir.File("empty"));
        File.WriteAllText(Path.Combine(dir.File("empty"), "config.json"), "{}");
        var empty = CliRunner.Run("train", "--resume", dir.File("empty"));
        Assert.Equal(1, empty.ExitCode);
        Assert.Contains("no checkpoints/last.ckpt", empty.Stderr);

        var mixed = CliRunner.Run("train", "--resume", run, "--model", "resnet18");
        Assert.Equal(2, mixed.ExitCode);
        Assert.Contains("only --epochs may be given", mixed.Stderr);
    }

    /// <summary>Starts the run and kills it (SIGKILL) as soon as its last checkpoint records
    /// <paramref name="epochs"/> epochs; returns the epochs the checkpoint then holds.</summary>
    private static int RunUntilKilled(string[] args, string lastCheckpoint, int epochs)
    {
        using var process = CliRunner.Start(args);
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(5))
        {
            if (process.HasExited) throw new InvalidOperationException($"the run ended (exit code {process.ExitCode}) before it could be killed");
            if (File.Exists(lastCheckpoint) && Checkpoint.ReadInfo(lastCheckpoint).Epoch >= epochs)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                return Checkpoint.ReadInfo(lastCheckpoint).Epoch;
            }
            Thread.Sleep(20);
        }
        process.Kill(entireProcessTree: true);
        throw new TimeoutException($"{lastCheckpoint} did not reach {epochs} epochs in 5 minutes");
    }

    private static void AssertBitIdentical(string what, IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, value) in expected)
        {
            Assert.True(value.dtype == actual[name].dtype && value.shape.SequenceEqual(actual[name].shape), $"{what} {name}: dtype or shape differ");
            Assert.True(value.bytes.SequenceEqual(actual[name].bytes), $"{what} {name} differs");
        }
    }
}
