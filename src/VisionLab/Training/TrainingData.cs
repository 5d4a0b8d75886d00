using VisionLab.Data;
using VisionLab.Data.Folders;
using VisionLab.Data.Loading;
using VisionLab.Data.Transforms;
using VisionLab.Data.Transforms.Images;
using static TorchSharp.torch;

namespace VisionLab.Training;

/// <summary>
/// The batches one run trains and evaluates on, and how its images are prepared at evaluation
/// time (saved in the checkpoint). Two kinds of data: IDX files (MNIST, Fashion-MNIST), held in
/// memory, and folders of image files, one sub-folder per class, decoded and augmented by worker
/// threads as they are read.
/// </summary>
public sealed class TrainingData
{
    private readonly Func<IReadOnlyList<SkippedSample>> skipped;

    private TrainingData(string name, IReadOnlyList<string> classes, IBatchSource train, IBatchSource test,
        EvalTransform transform, Func<IReadOnlyList<SkippedSample>> skipped)
    {
        Name = name;
        Classes = classes;
        Train = train;
        Test = test;
        Transform = transform;
        this.skipped = skipped;
    }

    public string Name { get; }
    public IReadOnlyList<string> Classes { get; }
    public IBatchSource Train { get; }

    /// <summary>The split evaluated after every epoch: the test split of IDX data, the validation
    /// images of a folder.</summary>
    public IBatchSource Test { get; }

    public EvalTransform Transform { get; }

    /// <summary>Unreadable files left out so far (image folders only).</summary>
    public IReadOnlyList<SkippedSample> Skipped => skipped();

    public static TrainingData Open(TrainingConfig config, Device device) =>
        ImageClassificationData.IsIdx(config.Data) ? FromIdx(config, device) : FromFolder(config, device);

    private static TrainingData FromIdx(TrainingConfig config, Device device)
    {
        if (config.Val is not null)
            throw new VisionLabException($"--val is for image folders; {config.Data} brings its own test split");
        var augmentations = PixelAugmentations.Parse(config.Augment);
        var data = ImageClassificationData.Open(config.Data).Subset(config.TrainLimit, config.TestLimit);
        var shape = data.Train.ImageShape;
        var transform = new EvalTransform(shape.Channels, config.ImageSize ?? shape.Height, config.ImageSize ?? shape.Width,
            data.Mean, data.Std);
        var normalize = transform.Normalize();
        var size = (transform.Height, transform.Width);
        var train = new DataLoader(data.Train, config.BatchSize, normalize, shuffle: true, seed: config.Seed, device: device,
            outputSize: size, augmentations: augmentations);
        var test = new DataLoader(data.Test, config.EvalBatchSize, normalize, device: device, outputSize: size);
        return new TrainingData(data.Name, data.Classes, train, test, transform, () => []);
    }

    /// <summary>
    /// A folder: torchvision's classification presets at <c>--image-size</c> (224 by default) with
    /// ImageNet statistics — RandomResizedCrop and a horizontal flip for training, resize and centre
    /// crop for evaluation — and validation from <c>--val</c> or, failing that, a stratified share
    /// of the folder kept aside by the run's seed.
    /// </summary>
    private static TrainingData FromFolder(TrainingConfig config, Device device)
    {
        if (config.Augment != "none")
            throw new VisionLabException($"--augment {config.Augment} is for IDX data; image folders train with RandomResizedCrop and a horizontal flip");
        var folder = ImageFolder.Scan(config.Data).RequireEveryClass();
        var (trainFiles, valFiles) = config.Val is null
            ? StratifiedSplit.Pick(folder.Files, folder.Classes.Count, config.ValFraction, config.Seed)
            : (folder.Files, ImageFolder.Scan(config.Val, folder.Classes).Files);
        if (valFiles.Count == 0)
            throw new VisionLabException($"no validation images: {(config.Val is null ? $"{config.Data} has too few images to keep any aside" : $"{config.Val} holds none")}");
        trainFiles = Limit(trainFiles, config.TrainLimit, config.Seed);
        valFiles = Limit(valFiles, config.TestLimit, config.Seed);

        int size = config.ImageSize ?? 224;
        var transform = new EvalTransform(3, size, size, ToTensorNormalize.ImageNetMean, ToTensorNormalize.ImageNetStd,
            ResizeShorter: ImageTransforms.EvalResizeFor(size));
        var trainSamples = new ImageFolderSamples($"{folder.Root} (train)", folder.Classes, trainFiles,
            ImageTransforms.Train(size, transform.Mean, transform.Std));
        var valSamples = new ImageFolderSamples($"{config.Val ?? folder.Root} (val)", folder.Classes, valFiles, transform.Pipeline());
        var train = new ParallelImageLoader(trainSamples, new LoaderOptions(config.BatchSize,
            config.Balanced ? SamplingOrder.ClassBalanced : SamplingOrder.Shuffled, config.Seed, DropLast: false,
            Workers: config.Workers, Strict: config.Strict, Device: device));
        // Evaluation batches as large as IDX's (1,000) would take 600 MB at 224x224.
        var val = new ParallelImageLoader(valSamples, new LoaderOptions(config.BatchSize, SamplingOrder.Sequential,
            Workers: config.Workers, Strict: config.Strict, Device: device));
        return new TrainingData(folder.Root, folder.Classes, train, val, transform,
            () => [.. train.Skipped, .. val.Skipped]);
    }

    /// <summary>A seeded random subset, so a limited run still sees every class.</summary>
    private static IReadOnlyList<LabelledFile> Limit(IReadOnlyList<LabelledFile> files, int? limit, int seed)
    {
        if (limit is not int n || n >= files.Count) return files;
        var shuffled = files.ToArray();
        new Random(seed).Shuffle(shuffled);
        return shuffled[..n].OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
    }
}
