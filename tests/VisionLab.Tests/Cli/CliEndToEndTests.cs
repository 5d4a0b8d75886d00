using System.Text.Json;
using SkiaSharp;
using VisionLab.Tests.Support;

namespace VisionLab.Tests.Cli;

/// <summary>The command line as a user drives it: train a tiny run, evaluate it, predict with it, and
/// get one clear line for every kind of bad input.</summary>
public sealed class CliEndToEndTests : IClassFixture<CliEndToEndTests.TinyRun>
{
    private readonly TinyRun run;

    public CliEndToEndTests(TinyRun run) => this.run = run;

    /// <summary>One short training run shared by the tests of this class.</summary>
    public sealed class TinyRun : IDisposable
    {
        public TinyRun()
        {
            Train = CliRunner.Run("train", "--epochs", "3", "--train-limit", "3000", "--test-limit", "500",
                "--out", Folder.File("run"), "--json");
            Checkpoint = Path.Combine(Folder.Path, "run", "checkpoints", "best.ckpt");
        }

        public TempFolder Folder { get; } = new();
        public CliResult Train { get; }
        public string Checkpoint { get; }

        public void Dispose() => Folder.Dispose();
    }

    [Fact]
    public void Train_writes_the_run_folder_and_reports_json()
    {
        Assert.True(run.Train.ExitCode == 0, run.Train.Stderr);
        using var json = JsonDocument.Parse(run.Train.Stdout);
        var metrics = json.RootElement.GetProperty("metrics");
        Assert.InRange(metrics.GetProperty("test_accuracy").GetDouble(), 0.5, 1.0);
        Assert.Equal(Path.Combine(run.Folder.Path, "run"), json.RootElement.GetProperty("run").GetString());
        Assert.True(File.Exists(run.Checkpoint));
    }

    [Fact]
    public void Resident_memory_stays_flat_across_epochs()
    {
        using var json = JsonDocument.Parse(run.Train.Stdout);
        var memory = json.RootElement.GetProperty("metrics").GetProperty("history").EnumerateArray()
            .Select(h => h.GetProperty("resident_memory_mb").GetDouble()).ToList();
        Assert.Equal(3, memory.Count);
        Assert.True(memory[^1] <= memory[0] * 1.10, $"resident memory grew from {memory[0]:F0} MB to {memory[^1]:F0} MB");
    }

    [Fact]
    public void Evaluate_reproduces_the_accuracy_training_reported()
    {
        var result = CliRunner.Run("evaluate", "--checkpoint", run.Checkpoint, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var trained = JsonDocument.Parse(run.Train.Stdout);
        using var evaluated = JsonDocument.Parse(result.Stdout);
        // Evaluation covers the whole test split, training only the first 500 images: both are
        // the same model, so the full-split figure must be in the same region.
        double full = evaluated.RootElement.GetProperty("test_accuracy").GetDouble();
        double subset = trained.RootElement.GetProperty("metrics").GetProperty("best_test_accuracy").GetDouble();
        Assert.Equal(10_000, evaluated.RootElement.GetProperty("images").GetInt32());
        Assert.InRange(full, subset - 0.06, subset + 0.06);
        Assert.Equal(10, evaluated.RootElement.GetProperty("per_class").GetArrayLength());
    }

    [Fact]
    public void Evaluate_prints_a_table_for_people()
    {
        var result = CliRunner.Run("evaluate", "--checkpoint", run.Checkpoint);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("Ankle boot", result.Stdout);
        Assert.Contains("accuracy", result.Stdout);
    }

    [Fact]
    public void Predict_classifies_png_and_jpeg_files_of_any_size()
    {
        string png = Path.Combine(run.Folder.Path, "trouser.png");
        string jpeg = Path.Combine(run.Folder.Path, "photo.jpg");
        DrawTrousers(png, 28, 28, SKEncodedImageFormat.Png);
        DrawTrousers(jpeg, 120, 90, SKEncodedImageFormat.Jpeg);

        var result = CliRunner.Run("predict", "--checkpoint", run.Checkpoint, png, jpeg, "--top", "3", "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(2, json.RootElement.GetArrayLength());
        foreach (var prediction in json.RootElement.EnumerateArray())
        {
            var top = prediction.GetProperty("top").EnumerateArray().ToList();
            Assert.Equal(3, top.Count);
            var probabilities = top.Select(t => t.GetProperty("probability").GetDouble()).ToList();
            Assert.Equal(probabilities.OrderDescending(), probabilities);
            Assert.InRange(probabilities.Sum(), 0.0, 1.0001);
            Assert.Contains(top[0].GetProperty("class").GetString(), VisionLab.Data.ImageClassificationData.FashionMnistClasses);
            Assert.False(prediction.TryGetProperty("test_time_augmentation", out _), "a single-view prediction claims augmentation");
        }
    }

    [Fact]
    public void Predict_with_tta_hflip_says_so_in_json_and_table_and_refuses_other_views()
    {
        string png = Path.Combine(run.Folder.Path, "trouser-tta.png");
        DrawTrousers(png, 28, 28, SKEncodedImageFormat.Png);

        var json = CliRunner.Run("predict", "--checkpoint", run.Checkpoint, png, "--tta", "hflip", "--json");
        Assert.True(json.ExitCode == 0, json.Stderr);
        using (var document = JsonDocument.Parse(json.Stdout))
            Assert.Equal("hflip", document.RootElement[0].GetProperty("test_time_augmentation").GetString());

        var table = CliRunner.Run("predict", "--checkpoint", run.Checkpoint, png, "--tta", "hflip");
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains("averaged over each image and its mirror", table.Stdout);

        var refused = CliRunner.Run("predict", "--checkpoint", run.Checkpoint, png, "--tta", "rotate");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("--tta rotate: expected none or hflip", refused.Stderr);
    }

    [Fact]
    public void Models_lists_lenet5_with_its_parameter_count()
    {
        var result = CliRunner.Run("models", "--json");
        Assert.Equal(0, result.ExitCode);
        using var json = JsonDocument.Parse(result.Stdout);
        var lenet = json.RootElement.EnumerateArray().Single(m => m.GetProperty("name").GetString() == "lenet5");
        Assert.Equal(61_706, lenet.GetProperty("parameters").GetInt64());
    }

    [Fact]
    public void Bench_models_reports_latency_throughput_and_peak_memory_and_charts_them()
    {
        string chart = Path.Combine(run.Folder.Path, "latency.png");
        var result = CliRunner.Run("bench", "models", "--models", "lenet5,squeezenet1_1", "--batch", "1,2", "--seconds", "0.2", "--json", "--chart", chart);
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var results = json.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(new[] { "lenet5", "squeezenet1_1" }, results.Select(r => r.GetProperty("model").GetString()));
        var speeds = results[1].GetProperty("speeds").EnumerateArray().ToList();
        Assert.Equal(new[] { 1, 2 }, speeds.Select(s => s.GetProperty("batch").GetInt32()));
        Assert.All(speeds, s => Assert.True(s.GetProperty("median_milliseconds").GetDouble() > 0));
        // SqueezeNet 1.1's weights alone are 4.9 MB; the process with libtorch loaded is far above that.
        Assert.All(speeds, s => Assert.InRange(s.GetProperty("peak_memory_mb").GetDouble(), 50, 4000));
        using var png = SkiaSharp.SKBitmap.Decode(chart);
        Assert.Equal((960, 640), (png.Width, png.Height));
    }

    [Fact]
    public void Bench_models_prints_a_table()
    {
        var result = CliRunner.Run("bench", "models", "--models", "lenet5", "--batch", "1", "--seconds", "0.1");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("peak MB", result.Stdout);
        Assert.Contains("lenet5", result.Stdout);
    }

    [Fact]
    public void Prune_fine_tunes_and_reports_the_three_stages()
    {
        var result = CliRunner.Run("prune", "--checkpoint", run.Checkpoint, "--method", "magnitude", "--amount", "0.7",
            "--epochs", "1", "--train-limit", "1000", "--test-limit", "500", "--seconds", "0.05",
            "--out", Path.Combine(run.Folder.Path, "pruned"), "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var stages = json.RootElement.GetProperty("stages").EnumerateArray().ToList();
        Assert.Equal(["trained", "pruned", "fine-tuned"], stages.Select(s => s.GetProperty("stage").GetString()));
        double share = stages[2].GetProperty("non_zero_weights").GetDouble() / stages[2].GetProperty("connection_weights").GetDouble();
        Assert.InRange(share, 0.29, 0.31);
        Assert.True(File.Exists(Path.Combine(run.Folder.Path, "pruned", "pruning.json")));

        var refused = CliRunner.Run("prune", "--checkpoint", run.Checkpoint, "--method", "channels", "--epochs", "1",
            "--out", Path.Combine(run.Folder.Path, "never-pruned"));
        AssertOneLineError(refused, "declares no block-internal channels");
    }

    [Theory]
    [InlineData("train")]
    [InlineData("prune")]
    [InlineData("evaluate")]
    [InlineData("predict")]
    [InlineData("models")]
    public void Every_verb_explains_itself(string verb)
    {
        var result = CliRunner.Run(verb, "--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("--json", result.Stdout);
    }

    [Fact]
    public void An_unknown_model_gets_one_line_and_exit_code_1()
    {
        var result = CliRunner.Run("train", "--model", "resnet9000", "--out", Path.Combine(run.Folder.Path, "never"));
        AssertOneLineError(result, "unknown model 'resnet9000'");
        Assert.False(Directory.Exists(Path.Combine(run.Folder.Path, "never")));
    }

    [Fact]
    public void A_missing_checkpoint_gets_one_line()
    {
        var result = CliRunner.Run("evaluate", "--checkpoint", "/nonexistent/best.ckpt");
        AssertOneLineError(result, "checkpoint /nonexistent/best.ckpt: file not found");
    }

    [Fact]
    public void A_corrupt_checkpoint_gets_one_line()
    {
        string path = Path.Combine(run.Folder.Path, "corrupt.ckpt");
        var bytes = File.ReadAllBytes(run.Checkpoint);
        bytes[bytes.Length / 3] ^= 0x5A;
        File.WriteAllBytes(path, bytes);
        var result = CliRunner.Run("predict", "--checkpoint", path, "whatever.png");
        AssertOneLineError(result, $"checkpoint {path}: corrupt");
    }

    [Fact]
    public void A_file_that_is_not_an_image_gets_one_line_naming_it()
    {
        string path = Path.Combine(run.Folder.Path, "notes.png");
        File.WriteAllText(path, "not really a picture");
        var result = CliRunner.Run("predict", "--checkpoint", run.Checkpoint, path);
        AssertOneLineError(result, $"{path}: is not an image in a supported format");
    }

    [Fact]
    public void A_truncated_data_file_gets_one_line_naming_it()
    {
        string data = Path.Combine(run.Folder.Path, "broken-data");
        Directory.CreateDirectory(data);
        IdxWriter.WriteDataFolder(data, count: 50);
        string images = Path.Combine(data, "train-images-idx3-ubyte.gz");
        var bytes = File.ReadAllBytes(images);
        File.WriteAllBytes(images, bytes[..(bytes.Length / 2)]);

        var result = CliRunner.Run("train", "--data", data, "--epochs", "1", "--out", Path.Combine(run.Folder.Path, "broken-run"));

        AssertOneLineError(result, $"{images}: ");
        Assert.Contains("truncated", result.Stderr);
    }

    [Fact]
    public void An_unknown_option_is_refused_rather_than_ignored()
    {
        // Evaluating with a misspelt --tta must not quietly report single-view accuracy.
        var result = CliRunner.Run("evaluate", "--checkpoint", run.Checkpoint, "--ttta", "hflip", "--json");
        AssertOneLineError(result, "ttta", exitCode: 2);
        Assert.Equal("", result.Stdout.Trim());
    }

    [Fact]
    public void Verbose_adds_the_stack_trace()
    {
        var result = CliRunner.Run("evaluate", "--checkpoint", "/nonexistent/best.ckpt", "--verbose");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("   at ", result.Stderr);
    }

    private static void AssertOneLineError(CliResult result, string expected, int exitCode = 1)
    {
        Assert.Equal(exitCode, result.ExitCode);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got:\n{result.Stderr}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    private static void DrawTrousers(string path, int width, int height, SKEncodedImageFormat format)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        surface.Canvas.Clear(SKColors.Black);
        using var paint = new SKPaint { Color = new SKColor(200, 190, 180) };
        surface.Canvas.DrawRect(width * 0.3f, height * 0.1f, width * 0.18f, height * 0.8f, paint);
        surface.Canvas.DrawRect(width * 0.52f, height * 0.1f, width * 0.18f, height * 0.8f, paint);
        using var image = surface.Snapshot();
        using var encoded = image.Encode(format, 90);
        File.WriteAllBytes(path, encoded.ToArray());
    }
}
