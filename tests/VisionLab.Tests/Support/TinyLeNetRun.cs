namespace VisionLab.Tests.Support;

/// <summary>
/// A run folder from <c>visionlab train</c>: LeNet-5 trained for one short epoch on Fashion-MNIST
/// (2,000 training images), for tests of the commands that take a checkpoint. Shared by a test class
/// as an xunit class fixture, so the training happens once per class.
/// </summary>
public sealed class TinyLeNetRun : IDisposable
{
    public TinyLeNetRun()
    {
        Root = Folder.File("run");
        var train = CliRunner.Run("train", "--model", "lenet5", "--data", "fashion-mnist", "--epochs", "1",
            "--train-limit", "2000", "--test-limit", "200", "--out", Root, "--json");
        Assert.True(train.ExitCode == 0, train.Stderr);
        Checkpoint = Path.Combine(Root, "checkpoints", "best.ckpt");
    }

    public TempFolder Folder { get; } = new();

    /// <summary>The run folder.</summary>
    public string Root { get; }

    /// <summary>The run's best checkpoint.</summary>
    public string Checkpoint { get; }

    public void Dispose() => Folder.Dispose();
}
