using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;
using VisionLab.Cli.Rendering;
using VisionLab.Data.Images;
using VisionLab.Data.NumPy;
using VisionLab.Data.Transforms;
using VisionLab.Data.Transforms.Images;
using VisionLab.Explain;
using VisionLab.Inference;
using VisionLab.Models;
using VisionLab.Models.Weights;
using VisionLab.Reporting;
using VisionLab.Runs;
using VisionLab.Runtime;

namespace VisionLab.Cli.Commands;

public sealed class ExplainSettings : ComputeSettings
{
    [CommandArgument(0, "<IMAGES>")]
    [Description("Image files: PNG, JPEG, BMP, WebP or GIF.")]
    public string[] Images { get; init; } = [];

    [CommandOption("-c|--checkpoint <FILE>")]
    [Description("Checkpoint written by 'visionlab train' or 'weights import': model, classes and eval transform in one file.")]
    public string? Checkpoint { get; init; }

    [CommandOption("-m|--model <NAME>")]
    [Description("Zoo model for --weights ('visionlab models' lists them); images are prepared as torchvision's ImageNet models expect (resize 256, centre crop 224).")]
    public string? Model { get; init; }

    [CommandOption("--num-classes <N>")]
    [Description("With --model: width of the head (default: the model's reference head, e.g. 1000).")]
    public int? NumClasses { get; init; }

    [CommandOption("--weights <FILE>")]
    [Description("With --model: PyTorch state dict (.pt/.pth) or .safetensors, loaded strictly.")]
    public string? Weights { get; init; }

    [CommandOption("--classes <FILE>")]
    [Description("With --model: class names, one a line (default: 'class 0', 'class 1', ...).")]
    public string? Classes { get; init; }

    [CommandOption("--method <NAME>")]
    [Description("Explanation method (default gradcam), e.g. gradcam++, layercam, scorecam, eigencam; an unknown name lists them all.")]
    public string? Method { get; init; }

    [CommandOption("--methods <LIST>")]
    [Description("Several methods, comma-separated; also writes a side-by-side comparison per image.")]
    public string? Methods { get; init; }

    [CommandOption("--layer <NAME>")]
    [Description("Layer CAM methods look at, named as in the state dict (e.g. layer4, features.denseblock4); default: the model family's.")]
    public string? Layer { get; init; }

    [CommandOption("--class <K>")]
    [Description("Explain class K (an index) instead of the predicted class.")]
    public int? Class { get; init; }

    [CommandOption("-k|--top-k <K>")]
    [Description("Explain the K most probable classes.")]
    public int? TopK { get; init; }

    [CommandOption("-o|--out <DIR>")]
    [Description("Folder for the overlays (.png) and raw maps (.npy).")]
    public string Out { get; init; } = "";

    [CommandOption("--alpha <A>")]
    [Description("Opacity of the heatmap over the image, 0 to 1.")]
    [DefaultValue(HeatmapOverlay.DefaultAlpha)]
    public double Alpha { get; init; } = HeatmapOverlay.DefaultAlpha;

    public override ValidationResult Validate() =>
        Out == "" ? ValidationResult.Error("--out is required")
        : Checkpoint is null && Model is null ? ValidationResult.Error("give --checkpoint, or --model with --weights")
        : Checkpoint is not null && (Model ?? Weights) is not null ? ValidationResult.Error("give --checkpoint or --model with --weights, not both: a checkpoint names its model and holds its weights")
        : Checkpoint is not null && (NumClasses is not null || Classes is not null) ? ValidationResult.Error("--num-classes and --classes go with --model; a checkpoint carries its own classes")
        : Model is not null && Weights is null ? ValidationResult.Error("--model needs --weights: the maps of untrained weights explain nothing")
        : Method is not null && Methods is not null ? ValidationResult.Error("give --method or --methods, not both")
        : Class is not null && TopK is not null ? ValidationResult.Error("give --class or --top-k, not both")
        : TopK < 1 ? ValidationResult.Error($"--top-k {TopK} must be at least 1")
        : !(Alpha is >= 0 and <= 1) ? ValidationResult.Error($"--alpha {Alpha} must be between 0 and 1")
        : ValidationResult.Success();
}

/// <summary>
/// Explains a model's predictions on image files: per image and method an overlay (PNG) and the raw
/// map (.npy, at the method's own resolution), with --methods a side-by-side comparison, and a table
/// (or JSON) of what was written.
/// </summary>
public sealed class ExplainCommand : Command<ExplainSettings>
{
    /// <summary>What a model needs to be explained: itself, how its inputs are prepared, its class names.</summary>
    private sealed record ModelToExplain(string Name, ImageClassifier Model, EvalTransform Transform, IReadOnlyList<string> Classes);

    private sealed record WrittenExplanation(string Method, string? Layer, string Class, int ClassIndex, double Probability,
        int[] MapShape, bool Flat, string Png, string Npy);

    private sealed record ExplainedImage(string Image, ClassProbability Predicted, IReadOnlyList<WrittenExplanation> Explanations, string? Compare);

    public override int Execute(CommandContext context, ExplainSettings s, CancellationToken cancellation)
    {
        var methods = ExplanationMethods.Parse(s.Methods ?? s.Method ?? "gradcam");
        var selection = s.Class is int k ? ClassSelection.Class(k) : s.TopK is int n ? ClassSelection.Top(n) : ClassSelection.Predicted;
        var stems = Stems(s.Images);

        // Every image's header is read first, so a missing or broken file stops the run before any work.
        foreach (string image in s.Images) ImageDecoder.Default.ReadSize(image);

        TorchRuntime.SetThreads(s.Threads ?? TorchRuntime.DefaultThreads);
        var device = TorchRuntime.ParseDevice(s.Device);
        // No oneDNN routing here, unlike predict: explanations take gradients through convolutions,
        // which must come from libtorch's own kernels (see ConvolutionBackend).
        var loaded = Load(s, device);
        using var model = loaded.Model;
        selection.Validate(model.NumClasses);
        var explainer = new Explainer(model, loaded.Transform, loaded.Classes, device, s.Layer);
        Directory.CreateDirectory(s.Out);

        var results = new List<ExplainedImage>();
        void ExplainAll(Action? advance)
        {
            for (int i = 0; i < s.Images.Length; i++)
            {
                cancellation.ThrowIfCancellationRequested();
                results.Add(ExplainOne(explainer, s.Images[i], stems[i], methods, selection, s));
                advance?.Invoke();
            }
        }

        if (!s.Json && s.Images.Length > 1 && AnsiConsole.Profile.Capabilities.Interactive)
        {
            AnsiConsole.Progress().AutoClear(true)
                .Columns(new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new TaskDescriptionColumn { Alignment = Justify.Left })
                .Start(live =>
                {
                    var task = live.AddTask($"explaining {s.Images.Length} images", maxValue: s.Images.Length);
                    ExplainAll(() => task.Increment(1));
                });
        }
        else
        {
            ExplainAll(null);
        }

        if (s.Json)
        {
            JsonOutput.Write(new
            {
                model = loaded.Name, layer = explainer.Layer.DisplayName, methods = methods.Select(m => m.Name),
                output = Path.GetFullPath(s.Out), images = results,
            });
            return 0;
        }
        AnsiConsole.MarkupLine($"{Markup.Escape(loaded.Name)}, target layer [bold]{Markup.Escape(explainer.Layer.DisplayName)}[/], " +
                               $"explaining {Markup.Escape(selection.ToString())}; files in [link]{Markup.Escape(Path.GetFullPath(s.Out))}[/]");
        AnsiConsole.Write(Table(results));
        return 0;
    }

    private static ExplainedImage ExplainOne(Explainer explainer, string image, string stem, IReadOnlyList<IExplanationMethod> methods,
        ClassSelection selection, ExplainSettings s)
    {
        var explained = explainer.Explain(image, methods, selection);
        bool severalClasses = explained.Explanations.Select(e => e.Target.Index).Distinct().Count() > 1;
        var written = new List<WrittenExplanation>();
        foreach (var e in explained.Explanations)
        {
            string name = severalClasses ? $"{stem}.{e.Method}.class{e.Target.Index}" : $"{stem}.{e.Method}";
            string png = Path.Combine(s.Out, name + ".png"), npy = Path.Combine(s.Out, name + ".npy");
            AtomicFile.WriteAllBytes(png, HeatmapOverlay.RenderPng(explained.Picture, e, s.Alpha));
            using (var raw = e.Map.ToTensor()) NpyFile.Write(npy, raw);
            written.Add(new WrittenExplanation(e.Method, e.Layer, e.Target.Class, e.Target.Index, e.Target.Probability,
                [e.Map.Height, e.Map.Width], e.IsFlat, png, npy));
        }
        string? compare = null;
        if (s.Methods is not null)
        {
            compare = Path.Combine(s.Out, stem + ".compare.png");
            AtomicFile.WriteAllBytes(compare, HeatmapOverlay.RenderComparisonPng(explained, s.Alpha));
        }
        return new ExplainedImage(image, explained.Predicted, written, compare);
    }

    private static ModelToExplain Load(ExplainSettings s, TorchSharp.torch.Device device)
    {
        if (s.Checkpoint is not null)
        {
            using var checkpoint = Training.Checkpoint.Load(s.Checkpoint, device);
            return new ModelToExplain($"{checkpoint.Info.Model} ({s.Checkpoint})", checkpoint.Model, checkpoint.Info.EvalTransform, checkpoint.Info.Classes);
        }
        var info = ModelZoo.Find(s.Model!);
        int numClasses = s.NumClasses ?? info.ReferenceClasses;
        var classes = s.Classes is null
            ? Enumerable.Range(0, numClasses).Select(i => $"class {i}").ToArray()
            : ReadClassNames(s.Classes, numClasses);
        var model = ModelZoo.Create(info.Name, new ModelOptions(numClasses, 3));
        try
        {
            WeightsFile.LoadInto(model, s.Weights!);
            model.to(device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        // torchvision's ImageNet evaluation preset: shorter side to 256, centre 224×224, ImageNet statistics.
        var transform = new EvalTransform(3, 224, 224, ToTensorNormalize.ImageNetMean, ToTensorNormalize.ImageNetStd,
            ResizeShorter: ImageTransforms.EvalResizeFor(224));
        return new ModelToExplain($"{info.Name} ({s.Weights})", model, transform, classes);
    }

    private static string[] ReadClassNames(string path, int numClasses)
    {
        if (!File.Exists(path)) throw new VisionLabException($"--classes {path}: file not found");
        var names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        return names.Length == numClasses
            ? names
            : throw new VisionLabException($"--classes {path}: {names.Length} class names for a {numClasses}-class head (one name a line)");
    }

    /// <summary>The file names' stems, which name the outputs; two images with one stem would overwrite each other's.</summary>
    private static string[] Stems(string[] images)
    {
        var stems = images.Select(Path.GetFileNameWithoutExtension).Select(stem => stem ?? "").ToArray();
        var clash = images.Zip(stems).GroupBy(p => p.Second, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
            throw new VisionLabException($"{string.Join(" and ", clash.Select(p => p.First).Take(2))} would write the same files ('{clash.Key}.*'); " +
                                         "rename one or explain them into different --out folders");
        return stems;
    }

    private static Table Table(IReadOnlyList<ExplainedImage> results)
    {
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("image");
        table.AddColumn("class");
        table.AddColumn(new TableColumn("probability").RightAligned());
        table.AddColumn("method");
        table.AddColumn("map");
        table.AddColumn("files");
        foreach (var r in results)
        {
            string image = Markup.Escape(Path.GetFileName(r.Image));
            foreach (var e in r.Explanations)
            {
                string name = Markup.Escape(e.ClassIndex == r.Predicted.Index ? e.Class : $"{e.Class} ({e.ClassIndex})");
                // The map's size says where it was taken: the target layer's grid, or the input's pixels.
                string map = $"{e.MapShape[0]}x{e.MapShape[1]}{(e.Flat ? " [yellow]flat[/]" : "")}";
                table.AddRow(image, name, HeatmapOverlay.Percent(e.Probability), Markup.Escape(e.Method), map,
                    Markup.Escape(Path.GetFileName(e.Png)) + " [dim]+ .npy[/]");
                image = "";
            }
            if (r.Compare is not null) table.AddRow("", "", "", "[dim]all[/]", "", Markup.Escape(Path.GetFileName(r.Compare)));
        }
        return table;
    }
}
