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

        // evaluate finds the images the run validated on by itself (the same seeded share kept
        // aside): the last checkpoint scores there what the last epoch did.
        string last = Path.Combine(temp.Path, "run", "checkpoints", "last.ckpt");
        var held = CliRunner.Run("evaluate", "--checkpoint", last, "--batch-size", "32", "--json");
        Assert.True(held.ExitCode == 0, held.Stderr);
        using (var evaluation = JsonDocument.Parse(held.Stdout))
        {
            int images = evaluation.RootElement.GetProperty("images").GetInt32();
            Assert.InRange(images, 95, 96); // a fifth of 4 x 120, less the broken file if it fell there
            Assert.Equal(accuracy, evaluation.RootElement.GetProperty("test_accuracy").GetDouble(), 1.5 / images);
        }
        // With --data, every image of a folder: here the whole data set, broken file named.
        var whole = CliRunner.Run("evaluate", "--checkpoint", last, "--data", data, "--json");
        Assert.True(whole.ExitCode == 0, whole.Stderr);
        using (var evaluation = JsonDocument.Parse(whole.Stdout))
        {
            Assert.Equal(480, evaluation.RootElement.GetProperty("images").GetInt32());
            Assert.True(evaluation.RootElement.GetProperty("test_accuracy").GetDouble() >= 0.95);
            Assert.EndsWith("circles_broken.jpg", evaluation.RootElement.GetProperty("skipped")[0].GetProperty("path").GetString());
        }

        string checkpoint = Path.Combine(temp.Path, "run", "checkpoints", "best.ckpt");
        string square = Path.Combine(data, "squares", "squares_000.png");
        var predict = CliRunner.Run("predict", "--checkpoint", checkpoint, square, "--json");
        Assert.True(predict.ExitCode == 0, predict.Stderr);
        Assert.Contains("\"squares\"", predict.Stdout);
    }

    [Fact]
    public void Folder_training_takes_torchvision_recipe_augmentations_and_preview_shows_the_mix()
    {
        using var temp = new TempFolder();
        string data = Path.Combine(temp.Path, "shapes");
        ShapesFolder.Write(data, perClass: 10, size: 40, seed: 2);

        var train = CliRunner.Run("train", "--data", data, "--model", "resnet18", "--image-size", "32", "--epochs", "2",
            "--batch-size", "8", "--augment", "trivial,erasing:0.5,mixup,cutmix", "--out", Path.Combine(temp.Path, "run"), "--json");
        Assert.True(train.ExitCode == 0, train.Stderr);
        using var json = JsonDocument.Parse(train.Stdout);
        var history = json.RootElement.GetProperty("metrics").GetProperty("history");
        double loss = history[history.GetArrayLength() - 1].GetProperty("train_loss").GetDouble();
        Assert.True(double.IsFinite(loss) && loss > 0, $"train loss {loss}");
        Assert.Contains("trivial,erasing:0.5,mixup,cutmix", File.ReadAllText(Path.Combine(temp.Path, "run", "config.json")));

        var refused = CliRunner.Run("train", "--data", data, "--model", "resnet18", "--augment", "crop:2", "--epochs", "1");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("--augment: 'crop:2'", refused.Stderr);

        string png = Path.Combine(temp.Path, "mix.png");
        var preview = CliRunner.Run("data", "preview", data, "--augment", "cutmix", "--image-size", "32", "--count", "8", "--out", png);
        Assert.True(preview.ExitCode == 0, preview.Stderr);
        using var grid = SkiaSharp.SKBitmap.Decode(png);
        Assert.NotNull(grid);
    }
}
