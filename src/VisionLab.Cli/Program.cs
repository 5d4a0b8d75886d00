using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab;
using VisionLab.Cli.Commands;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("visionlab");
    config.PropagateExceptions();
    // Spectre.Console.Cli by default sets unknown options aside instead of refusing them, so a
    // misspelt or newer option (--tta on an older build) would run silently without it.
    config.UseStrictParsing();
    config.AddCommand<TrainCommand>("train")
        .WithDescription("Train a model and write a run folder (metrics, plots, checkpoints).")
        .WithExample("train", "--model", "lenet5", "--data", "fashion-mnist", "--epochs", "5");
    config.AddCommand<PruneCommand>("prune")
        .WithDescription("Prune a trained checkpoint, fine-tune it, and compare size, speed and accuracy before and after.")
        .WithExample("prune", "--checkpoint", "runs/my-run/checkpoints/best.ckpt", "--method", "channels", "--amount", "0.5", "--epochs", "2");
    config.AddCommand<EvaluateCommand>("evaluate")
        .WithDescription("Evaluate a checkpoint on the test split of its data set.")
        .WithExample("evaluate", "--checkpoint", "runs/my-run/checkpoints/best.ckpt");
    config.AddCommand<PredictCommand>("predict")
        .WithDescription("Classify image files with a checkpoint.")
        .WithExample("predict", "--checkpoint", "runs/my-run/checkpoints/best.ckpt", "shoe.png");
    // A command, not a branch with a default command: Spectre.Console.Cli 0.57 takes a branch's
    // default command's positional arguments (the images) for unknown sub-command names.
    config.AddCommand<ExplainCommand>("explain")
        .WithDescription("Show where a model found the evidence for a class: Grad-CAM and related maps over the image (PNG) and raw (.npy).")
        .WithExample("explain", "--checkpoint", "runs/my-run/checkpoints/best.ckpt", "shoe.png", "--methods", "gradcam,layercam", "--out", "explained")
        .WithExample("explain", "--model", "resnet50", "--weights", "resnet50.pth", "cat.jpg", "--top-k", "3", "--out", "explained");
    config.AddCommand<ExplainFeaturesCommand>("explain-features")
        .WithDescription("PNG grids of a layer's feature maps for an image and of the first convolution's filters.")
        .WithExample("explain-features", "--checkpoint", "runs/my-run/checkpoints/best.ckpt", "cat.jpg", "--layer", "layer3", "--out", "features");
    config.AddCommand<ServeCommand>("serve")
        .WithDescription("Serve trained models over HTTP: a JSON API (predict, explain, runs), a web page, health and metrics.")
        .WithExample("serve", "--models", "runs/my-run", "--port", "8080");
    config.AddCommand<ModelsCommand>("models")
        .WithDescription("List the models of the zoo.");
    config.AddCommand<SummaryCommand>("summary")
        .WithDescription("Layer table of a model: output shapes, parameters, multiply-adds.")
        .WithExample("summary", "resnet50", "--input", "1x3x224x224");
    config.AddCommand<InferCommand>("infer")
        .WithDescription("Run a model in eval mode on a NumPy .npy array and write the output as .npy.")
        .WithExample("infer", "--model", "resnet18", "--weights", "resnet18.pth", "--input", "x.npy", "--output", "y.npy");
    config.AddBranch("data", data =>
    {
        data.SetDescription("Image folders (one sub-folder per class): split and inspect.");
        data.AddCommand<DataSplitCommand>("split").WithDescription("Stratified, reproducible train/val split of an image folder (copies the files).")
            .WithExample("data", "split", "flower_photos", "flowers", "--val", "0.2", "--seed", "1");
        data.AddCommand<DataInspectCommand>("inspect").WithDescription("Class counts, image sizes and unreadable files of an image folder.")
            .WithExample("data", "inspect", "flowers/train");
        data.AddCommand<DataPreviewCommand>("preview").WithDescription("PNG grid of images as the model will see them; --augment for the training preset.")
            .WithExample("data", "preview", "flowers/train", "--augment", "--out", "augmented.png");
        data.AddCommand<DataBenchCommand>("bench").WithDescription("Images per second of the training input pipeline (decode, augment, normalise, collate).")
            .WithExample("data", "bench", "flowers/train", "--batch", "64", "--workers", "2", "--image-size", "224");
    });
    config.AddCommand<TuneCommand>("tune")
        .WithDescription("Search hyper-parameters (TPE or random, median pruning); trials are runs in the store, shared by every worker on it.")
        .WithExample("tune", "--config", "configs/lenet5.yaml", "--space", "configs/tune_space.yaml", "--trials", "20");
    config.AddBranch("runs", RunsCommands.Configure);
    config.AddBranch("bench", bench =>
    {
        bench.SetDescription("Speed measurements.");
        bench.AddCommand<BenchModelsCommand>("models").WithDescription("CPU inference latency (batch 1) and throughput (batch 16) of zoo models.");
    });
    config.AddBranch("weights", weights =>
    {
        weights.SetDescription("PyTorch state dicts: inspect, import into a checkpoint, export from one.");
        weights.AddCommand<WeightsInspectCommand>("inspect").WithDescription("List a weights file's tensors; with --model, check it fits.");
        weights.AddCommand<WeightsImportCommand>("import").WithDescription("Make a VisionLab checkpoint from a PyTorch state dict.");
        weights.AddCommand<WeightsExportCommand>("export").WithDescription("Write a checkpoint's weights as .pt or .safetensors.");
    });
});

bool verbose = args.Contains("--verbose");
// Ctrl+C and SIGTERM (a service manager stopping serve, a training job cancelled through the web
// API) end a command the same way: its cancellation token fires, and a training run records itself
// as killed with its checkpoints intact. A second Ctrl+C is left alone, so it ends the process at once.
using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (interrupted.IsCancellationRequested) return;
    e.Cancel = true;
    interrupted.Cancel();
};
using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, signal =>
{
    signal.Cancel = true;
    interrupted.Cancel();
});
try
{
    return app.Run(args, interrupted.Token);
}
catch (VisionLabException e)
{
    return Fail(e.Message, e, 1);
}
catch (CommandParseException e)
{
    return Fail(e.Message, e, 2);
}
catch (CommandRuntimeException e)
{
    return Fail(e.Message, e, 2);
}
catch (OperationCanceledException e)
{
    return Fail("cancelled", e, 130);
}
catch (Exception e)
{
    return Fail($"unexpected {e.GetType().Name}: {e.Message.Split('\n')[0]}", e, 70);
}

int Fail(string message, Exception e, int code)
{
    Console.Error.WriteLine($"error: {message}");
    if (verbose) Console.Error.WriteLine(e);
    return code;
}
