using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Cli.Rendering;
using VisionLab.Data.Images;
using VisionLab.Data.NumPy;
using VisionLab.Explain;
using VisionLab.Inference;
using VisionLab.Models.Weights;
using VisionLab.Reporting;
using VisionLab.Runs;

namespace VisionLab.Cli.Commands;

public sealed class ExplainSettings : ModelSourceSettings
{
    [CommandArgument(0, "<IMAGES>")]
    [Description("Image files: PNG, JPEG, BMP, WebP or GIF.")]
    public string[] Images { get; init; } = [];

    [CommandOption("--classes <FILE>")]
    [Description("With --model: class names, one a line (default: 'class 0', 'class 1', ...).")]
    public string? Classes { get; init; }

    protected override string? ClassNamesFile => Classes;

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

    [CommandOption("--evaluate")]
    [Description("Also measure how faithful each method's maps are (deletion and insertion AUC, ROAD, average drop) and compare the methods, with a random map as the baseline; writes faithfulness.json.")]
    public bool Evaluate { get; init; }

    [CommandOption("--evaluate-steps <N>")]
    [Description("With --evaluate: steps of the deletion and insertion curves.")]
    [DefaultValue(20)]
    public int EvaluateSteps { get; init; } = 20;

    public override ValidationResult Validate() =>
        Out == "" ? ValidationResult.Error("--out is required")
        : base.Validate() is { Successful: false } source ? source
        : EvaluateSteps < 1 ? ValidationResult.Error($"--evaluate-steps {EvaluateSteps} must be at least 1")
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
    private sealed record WrittenExplanation(string Method, string? Layer, string Class, int ClassIndex, double Probability,
        int[] MapShape, bool Flat, string Png, string Npy);

    private sealed record ExplainedImage(string Image, ClassProbability Predicted, IReadOnlyList<WrittenExplanation> Explanations, string? Compare,
        [property: System.Text.Json.Serialization.JsonIgnore] ImageExplanation Explained);

    public override int Execute(CommandContext context, ExplainSettings s, CancellationToken cancellation)
    {
        var methods = ExplanationMethods.Parse(s.Methods ?? s.Method ?? "gradcam");
        var selection = s.Class is int k ? ClassSelection.Class(k) : s.TopK is int n ? ClassSelection.Top(n) : ClassSelection.Predicted;
        var stems = Stems(s.Images);

        // Every image's header is read first, so a missing or broken file stops the run before any work.
        foreach (string image in s.Images) ImageDecoder.Default.ReadSize(image);

        // No oneDNN routing here, unlike predict: explanations take gradients through convolutions,
        // which must come from libtorch's own kernels (see ConvolutionBackend).
        var loaded = s.LoadModel(out var device);
        var faithfulness = s.Evaluate ? new FaithfulnessOptions { Steps = s.EvaluateSteps } : null;
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
                results.Add(ExplainOne(explainer, s.Images[i], stems[i], methods, selection, faithfulness, s));
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

        var summaries = faithfulness is null ? null : Summaries(methods, results);
        string? faithfulnessFile = null;
        if (summaries is not null)
        {
            faithfulnessFile = Path.Combine(s.Out, "faithfulness.json");
            var perImage = results.SelectMany(r => r.Explained.Explanations.Select(e => e.Faithfulness!)
                .Concat(r.Explained.RandomBaseline!).Select(scores => new { image = r.Image, scores }));
            AtomicFile.WriteAllBytes(faithfulnessFile, JsonOutput.ToUtf8Bytes(
                new { model = loaded.Name, layer = explainer.Layer.DisplayName, options = faithfulness, summaries, images = perImage }));
        }

        if (s.Json)
        {
            JsonOutput.Write(new
            {
                model = loaded.Name, layer = explainer.Layer.DisplayName, methods = methods.Select(m => m.Name),
                output = Path.GetFullPath(s.Out), images = results, faithfulness = summaries,
                faithfulness_file = faithfulnessFile is null ? null : Path.GetFullPath(faithfulnessFile),
            });
            return 0;
        }
        AnsiConsole.MarkupLine($"{Markup.Escape(loaded.Name)}, target layer [bold]{Markup.Escape(explainer.Layer.DisplayName)}[/], " +
                               $"explaining {Markup.Escape(selection.ToString())}; files in [link]{Markup.Escape(Path.GetFullPath(s.Out))}[/]");
        AnsiConsole.Write(Table(results));
        if (summaries is not null)
        {
            AnsiConsole.Write(FaithfulnessTable(summaries));
            AnsiConsole.MarkupLine("[dim]↓ lower is better, ↑ higher. Deletion/insertion: area under the class probability as the most salient pixels are " +
                                   "removed/restored; ROAD: share of removal levels at which the class stays on top (MoRF: most relevant removed first, " +
                                   "LeRF: least); drop: fall in confidence on the image masked by the map.[/]");
            AnsiConsole.MarkupLine($"Per-image figures and curves: [link]{Markup.Escape(Path.GetFullPath(faithfulnessFile!))}[/]");
        }
        return 0;
    }

    /// <summary>Each method's means over every image and class explained, then the random baseline's.</summary>
    private static List<FaithfulnessSummary> Summaries(IReadOnlyList<IExplanationMethod> methods, IReadOnlyList<ExplainedImage> results) =>
    [
        .. methods.Select(m => FaithfulnessSummary.Of(
            results.SelectMany(r => r.Explained.Explanations).Where(e => e.Method == m.Name).Select(e => e.Faithfulness!).ToList())),
        FaithfulnessSummary.Of(results.SelectMany(r => r.Explained.RandomBaseline!).ToList()),
    ];

    private static Table FaithfulnessTable(IReadOnlyList<FaithfulnessSummary> summaries)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("Faithfulness");
        table.AddColumn("method");
        foreach (string heading in new[] { "maps", "deletion ↓", "insertion ↑", "ROAD MoRF ↓", "ROAD LeRF ↑", "avg drop ↓", "increase ↑" })
            table.AddColumn(new TableColumn(heading).RightAligned());
        foreach (var m in summaries)
        {
            bool baseline = m.Method == Explainer.RandomBaselineName;
            string Cell(string text) => baseline ? $"[dim]{text}[/]" : text;
            table.AddRow(Cell(Markup.Escape(baseline ? "random map" : m.Method)), Cell($"{m.Images}"), Cell($"{m.DeletionAuc:F3}"), Cell($"{m.InsertionAuc:F3}"),
                Cell($"{m.MostRelevantFirstMean:P1}"), Cell($"{m.LeastRelevantFirstMean:P1}"), Cell($"{m.AverageDrop:P1}"), Cell($"{m.IncreaseInConfidence:P1}"));
        }
        return table;
    }

    private static ExplainedImage ExplainOne(Explainer explainer, string image, string stem, IReadOnlyList<IExplanationMethod> methods,
        ClassSelection selection, FaithfulnessOptions? faithfulness, ExplainSettings s)
    {
        var explained = explainer.Explain(image, methods, selection, faithfulness);
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
        return new ExplainedImage(image, explained.Predicted, written, compare, explained);
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
