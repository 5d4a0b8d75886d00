using System.Diagnostics;
using VisionLab.Data.Images;
using VisionLab.Data.Transforms.Images;
using VisionLab.Explain;
using VisionLab.Models;
using VisionLab.Training;
using VisionLab.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace VisionLab.Tests.Explain;

/// <summary>
/// The pointing game (Zhang et al., ECCV 2016) on images whose class only a small marker decides
/// (<see cref="MarkerImages"/>): a ResNet-18 trained briefly through the library, then, for held-out
/// images, the peak of each class-activation map (upsampled to the input) must fall inside the
/// marker's box. Grad-CAM must hit at least 90 % of the time (issue 7's bar); every other CAM method
/// is measured and reported, and held to what it reaches with a margin.
/// </summary>
public class PointingGameTests(ITestOutputHelper output)
{
    // Files are 73 pixels square so that the eval preset at 64 (resize the shorter side to
    // 64·256/224 = 73, centre-crop 64) only crops: the markers keep their size and move by the crop's offset.
    private const int FileSize = 73, InputSize = 64, MarkerSize = 18, Margin = 6;

    // At 64 pixels ResNet-18's last stage (the default CAM layer) is 2×2: each cell covers a quadrant,
    // and the peak of a bilinearly upsampled map is always at a cell centre, so it can land inside an
    // 18-pixel marker only when the marker happens to sit on a quadrant's centre. layer2 is 8×8, cells
    // of 8 pixels, so an 18-pixel marker always contains two or more cell centres in each direction.
    // (The test prints Grad-CAM's hit rate at each stage.)
    private const string Layer = "layer2";

    [Fact]
    public void Class_activation_maps_point_at_the_marker_that_decides_the_class()
    {
        using var temp = new TempFolder();
        string train = Path.Combine(temp.Path, "train"), heldOut = Path.Combine(temp.Path, "test");
        MarkerImages.Write(train, perClass: 120, FileSize, MarkerSize, Margin, seed: 1);
        var tests = MarkerImages.Write(heldOut, perClass: 20, FileSize, MarkerSize, Margin, seed: 2);

        var clock = Stopwatch.StartNew();
        var outcome = TrainingJob.Run(new TrainingConfig
        {
            Model = "resnet18", Data = train, ImageSize = InputSize, Epochs = 6, BatchSize = 32, Optimizer = new() { Name = "adam", Lr = 0.001 }, Seed = 3, Workers = 2, Out = Path.Combine(temp.Path, "run"),
        }, []);
        output.WriteLine($"trained resnet18 in {clock.Elapsed.TotalSeconds:F0} s ({outcome.Metrics.TrainImagesPerSecond:F0} images/s): validation accuracy by epoch " +
                         string.Join(", ", outcome.Metrics.History.Select(h => h.TestAccuracy.ToString("F3"))));

        using var checkpoint = Checkpoint.Load(outcome.Run.LastCheckpoint);
        var model = checkpoint.Model;
        var transform = checkpoint.Info.EvalTransform;
        Assert.Equal(MarkerImages.Classes, checkpoint.Info.Classes);
        var crop = CenterCrop.RegionFor(ImageTransforms.EvalResizeFor(InputSize), ImageTransforms.EvalResizeFor(InputSize), InputSize, InputSize);
        Assert.Equal(FileSize, ImageTransforms.EvalResizeFor(InputSize));

        var pipeline = transform.Pipeline();
        var inputs = tests.Select(t =>
        {
            using var image = ImageDecoder.Default.Decode(t.Path, 3);
            return pipeline.Apply(image, new Random(0), out _);
        }).ToList();
        double accuracy = tests.Select((t, i) => Predict(model, inputs[i]) == t.Label ? 1.0 : 0.0).Average();
        output.WriteLine($"held-out accuracy {accuracy:F3} on {tests.Count} images");
        Assert.True(accuracy >= 0.95, $"held-out accuracy {accuracy:F3}: the model has not learnt the markers, so its maps prove nothing");

        // Grad-CAM at each stage, to show why the test looks at layer2.
        foreach (string stage in new[] { "layer2", "layer3", "layer4" })
        {
            var (stageRate, _) = HitRate(new GradCam(), new ExplainContext(model, TargetLayer.Of(model, stage)), tests, inputs, crop, tests.Count);
            output.WriteLine($"Grad-CAM at {stage} ({InputSize / Stride(stage)}x{InputSize / Stride(stage)}): hit rate {stageRate:P1}");
        }

        var context = new ExplainContext(model, TargetLayer.Of(model, Layer));
        var rates = new Dictionary<string, double>();
        foreach (var method in ExplanationMethods.All.Where(m => m.UsesTargetLayer))
        {
            // Score-CAM and Ablation-CAM run the network once per channel (128 here) for every image:
            // they are measured on the first third of the held-out images to keep the test short.
            int count = method is ScoreCam or AblationCam ? tests.Count / 3 : tests.Count;
            clock.Restart();
            var (rate, hits) = HitRate(method, context, tests, inputs, crop, count);
            rates[method.Name] = rate;
            output.WriteLine($"{method.Title,-13} at {Layer}: pointing-game hit rate {rate:P1} ({hits}/{count}), {clock.Elapsed.TotalSeconds:F1} s");
        }

        Assert.True(rates["gradcam"] >= 0.9, $"Grad-CAM hit rate {rates["gradcam"]:P1}: issue 7 asks for at least 90 %");
        // The others are held to what they reach here (seeded, the same on every run on one machine),
        // less a margin for other CPUs' arithmetic: Grad-CAM++ 100 %, XGrad-CAM 98 %, Eigen-CAM 100 %,
        // Ablation-CAM 20/20, Score-CAM 19/20; HiRes-CAM (83 %) and LayerCAM (78 %) weigh every position
        // by its own gradient, which at this layer also lights up edges of the clutter.
        var floors = new Dictionary<string, double>
        {
            ["gradcam++"] = 0.9, ["xgradcam"] = 0.9, ["eigencam"] = 0.9, ["ablationcam"] = 0.85, ["scorecam"] = 0.85,
            ["hirescam"] = 0.65, ["layercam"] = 0.65,
        };
        Assert.All(floors.Where(f => rates.ContainsKey(f.Key)), f => Assert.True(rates[f.Key] >= f.Value, $"{f.Key} hit rate {rates[f.Key]:P1} < {f.Value:P0}"));

        // The faithfulness metrics on the same model and images: Grad-CAM's maps against maps of
        // noise at the same 8×8 resolution.
        clock.Restart();
        var random = new Random(5);
        var gradCamScores = new List<FaithfulnessScores>();
        var noiseScores = new List<FaithfulnessScores>();
        for (int i = 0; i < 12; i++)
        {
            using var scope = NewDisposeScope();
            var batch = tensor(inputs[i], [1, 3, InputSize, InputSize]);
            gradCamScores.Add(Faithfulness.Measure(context, new GradCam(), batch, tests[i].Label));
            var noise = new SaliencyMap(Enumerable.Range(0, 64).Select(_ => random.NextSingle()).ToArray(), 8, 8);
            noiseScores.Add(Faithfulness.Measure(model, batch, tests[i].Label, noise, "noise"));
        }
        var gradCam = FaithfulnessSummary.Of(gradCamScores);
        var noiseMaps = FaithfulnessSummary.Of(noiseScores);
        foreach (var summary in new[] { gradCam, noiseMaps })
            output.WriteLine($"{summary.Method,-8} on {summary.Images} images: deletion AUC {summary.DeletionAuc:F3}, insertion AUC {summary.InsertionAuc:F3}, " +
                             $"ROAD accuracy MoRF {summary.MostRelevantFirstMean:F3} / LeRF {summary.LeastRelevantFirstMean:F3}, " +
                             $"average drop {summary.AverageDrop:P1}, increase {summary.IncreaseInConfidence:P0}");
        output.WriteLine($"faithfulness of {gradCamScores.Count + noiseScores.Count} maps in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(gradCam.DeletionAuc < noiseMaps.DeletionAuc, $"deletion AUC: Grad-CAM {gradCam.DeletionAuc:F3}, noise {noiseMaps.DeletionAuc:F3}");
        Assert.True(gradCam.InsertionAuc > noiseMaps.InsertionAuc, $"insertion AUC: Grad-CAM {gradCam.InsertionAuc:F3}, noise {noiseMaps.InsertionAuc:F3}");
    }

    private static int Stride(string stage) => stage switch { "layer2" => 8, "layer3" => 16, _ => 32 };

    /// <summary>The share of the first <paramref name="count"/> images whose map, upsampled to the
    /// input, peaks inside the marker's box (moved by the eval transform's centre crop).</summary>
    private static (double Rate, int Hits) HitRate(IExplanationMethod method, ExplainContext context, IReadOnlyList<MarkerImage> tests,
        IReadOnlyList<float[]> inputs, PixelRegion crop, int count)
    {
        int hits = 0;
        for (int i = 0; i < count; i++)
        {
            using var scope = NewDisposeScope();
            var batch = tensor(inputs[i], [1, 3, InputSize, InputSize]);
            var (x, y) = Peak(method.Explain(context, batch, tests[i].Label).Resized(InputSize, InputSize));
            var box = tests[i].Box;
            if (x >= box.Left - crop.Left && x < box.Right - crop.Left && y >= box.Top - crop.Top && y < box.Bottom - crop.Top) hits++;
        }
        return ((double)hits / count, hits);
    }

    private static int Predict(ImageClassifier model, float[] input)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        model.eval();
        return (int)model.call(tensor(input, [1, 3, InputSize, InputSize])).argmax(1).item<long>();
    }

    /// <summary>The map's largest value's (x, y); ties go to the first in reading order.</summary>
    private static (int X, int Y) Peak(SaliencyMap map)
    {
        int best = 0;
        for (int i = 1; i < map.Values.Length; i++)
            if (map.Values[i] > map.Values[best]) best = i;
        return (best % map.Width, best / map.Width);
    }
}
