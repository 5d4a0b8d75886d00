using System.Text.Json;
using VisionLab.Tests.Support;

namespace VisionLab.Tests.Cli;

/// <summary>
/// A user's own photos, end to end: train a zoo model on a class-per-folder data set from the command
/// line (validation kept aside automatically), with an unreadable file among them, then classify
/// with the checkpoint, which carries its own eval transform.
/// </summary>
public class ImageFolderTrainingTests
{
    [Fact]
    public void A_zoo_model_learns_generated_shapes_from_a_folder_and_predict_uses_its_eval_transform()
    {
        using var temp = new TempFolder();
        string data = Path.Combine(temp.Path, "shapes");
        ShapesFolder.Write(data, perClass: 120, size: 64, seed: 1);
        File.WriteAllText(Path.Combine(data, "circles", "circles_broken.jpg"), "not a JPEG");

        var train = CliRunner.Run("train", "--data", data, "--model", "resnet18", "--image-size", "64", "--epochs", "15",
            "--batch-size", "32", "--optimizer", "adam", "--lr", "0.001", "--workers", "2", "--seed", "3",
            "--out", Path.Combine(temp.Path, "run"), "--json");
        Assert.True(train.ExitCode == 0, train.Stderr);
        using var json = JsonDocument.Parse(train.Stdout);
        double accuracy = json.RootElement.GetProperty("metrics").GetProperty("test_accuracy").GetDouble();
        Assert.True(accuracy >= 0.95, $"validation accuracy {accuracy:F3}");
        var skipped = json.RootElement.GetProperty("skipped").EnumerateArray().Select(k => k.GetProperty("path").GetString()).ToList();
        Assert.Single(skipped, p => p!.EndsWith("circles_broken.jpg"));

        string checkpoint = Path.Combine(temp.Path, "run", "checkpoints", "best.ckpt");
        string square = Path.Combine(data, "squares", "squares_000.png");
        var predict = CliRunner.Run("predict", "--checkpoint", checkpoint, square, "--json");
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        Assert.Contains("\"squares\"", predict.Stdout);
    }
}
