using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Cli.Rendering;
using VisionLab.Data;
using VisionLab.Data.Folders;
using VisionLab.Data.Loading;
using VisionLab.Data.Transforms;
using VisionLab.Data.Transforms.Images;
using VisionLab.Reporting;
using VisionLab.Runs;

namespace VisionLab.Cli.Commands;

public sealed class DataSplitSettings : CommonSettings
{
    [CommandArgument(0, "<SOURCE>")]
    [Description("Image folder: one sub-folder of images per class.")]
    public string Source { get; init; } = "";

    [CommandArgument(1, "<DESTINATION>")]
    [Description("New folder to receive train/<class>/... and val/<class>/... (must be empty or absent).")]
    public string Destination { get; init; } = "";

    [CommandOption("--val <FRACTION>")]
    [Description("Share of each class for validation.")]
    [DefaultValue(0.2)]
    public double Val { get; init; } = 0.2;

    [CommandOption("--seed <N>")]
    [Description("Seed of the shuffle; the same seed gives the same split.")]
    [DefaultValue(0)]
    public int Seed { get; init; }
}

/// <summary>A stratified, reproducible train/validation split of an image folder (files are copied).</summary>
public sealed class DataSplitCommand : Command<DataSplitSettings>
{
    public override int Execute(CommandContext context, DataSplitSettings s, CancellationToken cancellation)
    {
        var counts = FolderSplit.Split(s.Source, s.Destination, s.Val, s.Seed);
        if (s.Json)
        {
            JsonOutput.Write(new { destination = Path.GetFullPath(s.Destination), classes = counts.Select(c => new { name = c.Class, train = c.Train, val = c.Val }) });
            return 0;
        }
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{Markup.Escape(Path.GetFullPath(s.Destination))}[/]");
        table.AddColumn("class");
        table.AddColumn(new TableColumn("train").RightAligned());
        table.AddColumn(new TableColumn("val").RightAligned());
        foreach (var c in counts) table.AddRow(Markup.Escape(c.Class), $"{c.Train:N0}", $"{c.Val:N0}");
        table.AddRow("[bold]total[/]", $"[bold]{counts.Sum(c => c.Train):N0}[/]", $"[bold]{counts.Sum(c => c.Val):N0}[/]");
        AnsiConsole.Write(table);
        return 0;
    }
}

public sealed class DataInspectSettings : CommonSettings
{
    [CommandArgument(0, "<FOLDER>")]
    [Description("Image folder: one sub-folder of images per class.")]
    public string Folder { get; init; } = "";
}

/// <summary>Class counts, image sizes and unreadable files of an image folder.</summary>
public sealed class DataInspectCommand : Command<DataInspectSettings>
{
    public override int Execute(CommandContext context, DataInspectSettings s, CancellationToken cancellation)
    {
        var report = FolderInspection.Inspect(s.Folder, cancellation: cancellation);
        if (s.Json)
        {
            JsonOutput.Write(new
            {
                root = report.Root, images = report.Images,
                classes = report.Classes.Select(c => new { name = c.Class, images = c.Images }),
                empty_classes = report.EmptyClasses, other_files = report.OtherFiles,
                width = report.Width, height = report.Height,
                unreadable = report.Unreadable.Select(u => new { path = u.Path, problem = u.Problem }),
            });
            return report.Unreadable.Count == 0 && report.EmptyClasses.Count == 0 ? 0 : 3;
        }
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{Markup.Escape(report.Root)}[/]");
        table.AddColumn("class");
        table.AddColumn(new TableColumn("images").RightAligned());
        table.AddColumn(new TableColumn("share").RightAligned());
        foreach (var (name, images) in report.Classes)
            table.AddRow(Markup.Escape(name), $"{images:N0}", report.Images == 0 ? "-" : $"{100.0 * images / report.Images:F1} %");
        table.AddRow("[bold]total[/]", $"[bold]{report.Images:N0}[/]", "");
        AnsiConsole.Write(table);
        if (report.Width is { } w && report.Height is { } h)
            AnsiConsole.MarkupLine($"Image sizes: width {w.Min}–{w.Max} (median {w.Median}), height {h.Min}–{h.Max} (median {h.Median})");
        if (report.OtherFiles > 0)
            AnsiConsole.MarkupLine($"{report.OtherFiles:N0} other files (not named as images) are skipped.");
        foreach (string empty in report.EmptyClasses)
            AnsiConsole.MarkupLine($"[yellow]empty class folder[/]: {Markup.Escape(empty)}");
        foreach (var bad in report.Unreadable)
            AnsiConsole.MarkupLine($"[red]unreadable[/]: {Markup.Escape(bad.Path)}: {Markup.Escape(bad.Problem)}");
        if (report.Unreadable.Count > 0)
            AnsiConsole.MarkupLine($"[red]{report.Unreadable.Count:N0} of {report.Images:N0} images cannot be read[/]: fix or remove them before training.");
        // A script can tell a clean folder from one that needs attention.
        return report.Unreadable.Count == 0 && report.EmptyClasses.Count == 0 ? 0 : 3;
    }
}

public sealed class DataBenchSettings : CommonSettings
{
    [CommandArgument(0, "<FOLDER>")]
    [Description("Image folder: one sub-folder of images per class.")]
    public string Folder { get; init; } = "";

    [CommandOption("--batch <N>")]
    [DefaultValue(64)]
    public int Batch { get; init; } = 64;

    [CommandOption("--workers <N>")]
    [Description("Threads decoding and augmenting (0: on the main thread).")]
    [DefaultValue(2)]
    public int Workers { get; init; } = 2;

    [CommandOption("--image-size <N>")]
    [Description("Output size of the training preset (RandomResizedCrop + horizontal flip + normalise).")]
    [DefaultValue(224)]
    public int ImageSize { get; init; } = 224;

    [CommandOption("--epochs <N>")]
    [Description("Timed passes over the folder, after one untimed warm-up batch.")]
    [DefaultValue(1)]
    public int Epochs { get; init; } = 1;
}

/// <summary>Images per second of the training input pipeline: decode, augment, normalise, collate.</summary>
public sealed class DataBenchCommand : Command<DataBenchSettings>
{
    public override int Execute(CommandContext context, DataBenchSettings s, CancellationToken cancellation)
    {
        if (s.Epochs < 1) throw new VisionLabException($"--epochs {s.Epochs} must be at least 1");
        var folder = ImageFolder.Scan(s.Folder).RequireEveryClass();
        var samples = new ImageFolderSamples(folder, ImageTransforms.Train(s.ImageSize));
        var loader = new ParallelImageLoader(samples, new LoaderOptions(s.Batch, SamplingOrder.Shuffled, Workers: s.Workers));
        // Warm-up: JIT, thread pool, decoder tables.
        foreach (var batch in loader.Epoch(-1))
        {
            batch.Dispose();
            break;
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long images = 0;
        for (int epoch = 0; epoch < s.Epochs; epoch++)
            foreach (var batch in loader.Epoch(epoch))
            {
                cancellation.ThrowIfCancellationRequested();
                images += batch.Size;
                batch.Dispose();
            }
        double seconds = clock.Elapsed.TotalSeconds;
        var result = new
        {
            folder = folder.Root, images, seconds, images_per_second = images / seconds,
            batch = s.Batch, workers = s.Workers, image_size = s.ImageSize, skipped = loader.Skipped.Count,
        };
        if (s.Json)
        {
            JsonOutput.Write(result);
            return 0;
        }
        AnsiConsole.MarkupLine($"{images:N0} images in {seconds:F2} s: [bold]{result.images_per_second:N0} images/s[/] " +
            $"(batch {s.Batch}, {s.Workers} workers, RandomResizedCrop {s.ImageSize} + flip + normalise)");
        if (loader.Skipped.Count > 0) AnsiConsole.MarkupLine($"[yellow]{loader.Skipped.Count} unreadable files skipped[/]");
        return 0;
    }
}

public sealed class DataPreviewSettings : CommonSettings
{
    [CommandArgument(0, "<DATA>")]
    [Description("Image folder (one sub-folder of images per class), or IDX data: fashion-mnist or a folder of IDX files.")]
    public string Data { get; init; } = "";

    [CommandOption("--augment [SPEC]")]
    [Description("Show training images. Image folders: the training preset (random crops and flips), plus what SPEC adds: trivial, " +
                 "randaugment[[:OPS[[:MAGNITUDE]]]], erasing[[:P]], mixup[[:ALPHA]], cutmix[[:ALPHA]] (default: the evaluation preset). " +
                 "IDX data: SPEC as train --augment reads it: crop[[:PADDING]], hflip, erasing[[:P]] (default: the images as they are).")]
    public FlagValue<string>? Augment { get; init; }

    [CommandOption("--image-size <N>")]
    [Description("Side the images are brought to (default: 224 for folders, IDX data's own size).")]
    public int? ImageSize { get; init; }

    [CommandOption("--count <N>")]
    [Description("Images shown, taken evenly across the classes.")]
    [DefaultValue(16)]
    public int Count { get; init; } = 16;

    [CommandOption("--seed <N>")]
    [DefaultValue(0)]
    public int Seed { get; init; }

    [CommandOption("-o|--out <FILE>")]
    [Description("PNG to write.")]
    [DefaultValue("preview.png")]
    public string Out { get; init; } = "preview.png";
}

/// <summary>A PNG grid of images as the model will see them (normalisation undone).</summary>
public sealed class DataPreviewCommand : Command<DataPreviewSettings>
{
    public override int Execute(CommandContext context, DataPreviewSettings s, CancellationToken cancellation)
    {
        var (png, shown) = ImageClassificationData.IsIdx(s.Data) ? RenderIdx(s) : RenderFolder(s);
        AtomicFile.WriteAllBytes(s.Out, png);
        if (s.Json) JsonOutput.Write(new { png = Path.GetFullPath(s.Out), images = shown });
        else AnsiConsole.MarkupLine($"Wrote {shown} images to [link]{Markup.Escape(Path.GetFullPath(s.Out))}[/]");
        return 0;
    }

    private static (byte[] Png, int Shown) RenderFolder(DataPreviewSettings s)
    {
        var folder = ImageFolder.Scan(s.Data).RequireEveryClass();
        int size = s.ImageSize ?? 224;
        bool training = s.Augment is { IsSet: true };
        var augmentation = training ? TrainingAugmentation.Parse(s.Augment!.Value) : TrainingAugmentation.None;
        var pipeline = training ? ImageTransforms.Train(size, augmentation: augmentation) : ImageTransforms.Eval(size);
        string title = training
            ? $"{folder.Root}: training preset at {size}{(augmentation == TrainingAugmentation.None ? "" : $" + {augmentation}")}"
            : $"{folder.Root}: evaluation preset at {size}";
        var png = PipelinePreview.RenderPng(folder, pipeline, augmentation.Mixing(folder.Classes.Count), s.Count, s.Seed, title);
        return (png, Math.Min(s.Count, folder.Files.Count));
    }

    private static (byte[] Png, int Shown) RenderIdx(DataPreviewSettings s)
    {
        var data = ImageClassificationData.Open(s.Data);
        string? spec = s.Augment is { IsSet: true } ? s.Augment.Value : null;
        var augmentation = PixelAugmentations.Parse(spec);
        var shape = data.Train.ImageShape;
        var transform = new EvalTransform(shape.Channels, s.ImageSize ?? shape.Height, s.ImageSize ?? shape.Width, data.Mean, data.Std);
        string title = $"{data.Name} training images at {transform.Height}x{transform.Width}" +
                       (augmentation.IsEmpty ? "" : $" + {spec!.Trim()}");
        var png = PipelinePreview.RenderPng(data.Train, transform, augmentation, s.Count, s.Seed, title);
        return (png, Math.Min(s.Count, data.Train.Count));
    }
}
