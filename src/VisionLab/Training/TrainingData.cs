using VisionLab.Data;
using VisionLab.Data.Folders;
using VisionLab.Data.Loading;
using VisionLab.Data.Transforms;
using VisionLab.Data.Transforms.Images;
using static TorchSharp.torch;

namespace VisionLab.Training;

/// <summary>
/// Where a folder run's validation images come from: a folder of their own, or a stratified share
/// of the training folder kept aside by a seed. Checkpoints keep it, so that evaluating one later
/// measures the same images the run validated on, never images it trained on.
/// </summary>
public sealed record ValidationSource(string? Folder, double Fraction, int Seed)
{
    public (IReadOnlyList<LabelledFile> Train, IReadOnlyList<LabelledFile> Val) Pick(ImageFolder training) =>
        Folder is null
            ? StratifiedSplit.Pick(training.Files, training.Classes.Count, Fraction, Seed)
            : (training.Files, ImageFolder.Scan(Folder, training.Classes).Files);

    public string Describe(string trainingRoot) =>
        Folder ?? $"{trainingRoot} ({Fraction:P0} kept aside with seed {Seed})";
}

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
        EvalTransform transform, ValidationSource? validation, Func<IReadOnlyList<SkippedSample>> skipped)
    {
        Name = name;
        Classes = classes;
        Train = train;
        Test = test;
        Transform = transform;
        Validation = validation;
        this.skipped = skipped;
    }

    public string Name { get; }
    public IReadOnlyList<string> Classes { get; }
    public IBatchSource Train { get; }

    /// <summary>The split evaluated after every epoch: the test split of IDX data, the validation
    /// images of a folder.</summary>
    public IBatchSource Test { get; }

    public EvalTransform Transform { get; }

    /// <summary>Where the validation images of a folder came from; null for IDX data.</summary>
    public ValidationSource? Validation { get; }

    /// <summary>Unreadable files left out so far (image folders only).</summary>
    public IReadOnlyList<SkippedSample> Skipped => skipped();

    public static TrainingData Open(TrainingConfig config, Device device) =>
        ImageClassificationData.IsIdx(config.Data) ? FromIdx(config, device) : FromFolder(config, device);

    private static TrainingData FromIdx(TrainingConfig config, Device device)
    {
        if (config.Val is not null)
            throw new VisionLabException($"--val is for image folders; {config.Data} brings its own test split");
        var augmentation = PixelAugmentations.Parse(config.Augment);
        var data = ImageClassificationData.Open(config.Data).Subset(config.TrainLimit, config.TestLimit);
        var shape = data.Train.ImageShape;
        var transform = new EvalTransform(shape.Channels, config.ImageSize ?? shape.Height, config.ImageSize ?? shape.Width,
            data.Mean, data.Std);
        var normalize = transform.Normalize();
        var size = (transform.Height, transform.Width);
        var train = new DataLoader(data.Train, config.BatchSize, normalize, shuffle: true, seed: config.Seed, device: device,
            outputSize: size, augmentation: augmentation);
        var test = new DataLoader(data.Test, config.EvalBatchSize, normalize, device: device, outputSize: size);
        return new TrainingData(data.Name, data.Classes, train, test, transform, null, () => []);
    }

    /// <summary>
    /// A folder: torchvision's classification presets at <c>--image-size</c> (224 by default) with
    /// ImageNet statistics — RandomResizedCrop and a horizontal flip for training (plus what
    /// <c>--augment</c> adds, see <see cref="TrainingAugmentation"/>), resize and centre crop for
    /// evaluation — and validation from <c>--val</c> or, failing that, a stratified share of the
    /// folder kept aside by the run's seed.
    /// </summary>
    private static TrainingData FromFolder(TrainingConfig config, Device device)
    {
        var augmentation = TrainingAugmentation.Parse(config.Augment);
        var folder = ImageFolder.Scan(config.Data).RequireEveryClass();
        var validation = new ValidationSource(config.Val is null ? null : Path.GetFullPath(config.Val), config.ValFraction,
            config.SplitSeed ?? config.Seed);
        var (trainFiles, valFiles) = validation.Pick(folder);
        if (valFiles.Count == 0)
            throw new VisionLabException($"no validation images: {(config.Val is null ? $"{config.Data} has too few images to keep any aside" : $"{config.Val} holds none")}");
        trainFiles = Limit(trainFiles, config.TrainLimit, config.Seed);
        valFiles = Limit(valFiles, config.TestLimit, config.Seed);

        int size = config.ImageSize ?? 224;
        var transform = EvalTransform.ForPretrained(new ImageShape(3, size, size));
        var trainSamples = new ImageFolderSamples($"{folder.Root} (train)", folder.Classes, trainFiles,
            ImageTransforms.Train(size, transform.Mean, transform.Std, augmentation));
        var train = new ParallelImageLoader(trainSamples, new LoaderOptions(config.BatchSize,
            config.Balanced ? SamplingOrder.ClassBalanced : SamplingOrder.Shuffled, config.Seed, DropLast: false,
            Workers: config.Workers, Strict: config.Strict, Device: device, Mixing: augmentation.Mixing(folder.Classes.Count)));
        var val = HeldOutLoader($"{validation.Describe(folder.Root)} (val)", folder.Classes, valFiles, transform,
            config.BatchSize, device, config.Workers, config.Strict);
        return new TrainingData(folder.Root, folder.Classes, train, val, transform, validation,
            () => [.. train.Skipped, .. val.Skipped]);
    }

    // Evaluation batches as large as IDX's (1,000) would take 600 MB at 224x224: folders evaluate
    // in training-sized batches.
    private static ParallelImageLoader HeldOutLoader(string name, IReadOnlyList<string> classes, IReadOnlyList<LabelledFile> files,
        EvalTransform transform, int batchSize, Device device, int workers, bool strict) =>
        new(new ImageFolderSamples(name, classes, files, transform.Pipeline()),
            new LoaderOptions(batchSize, SamplingOrder.Sequential, Workers: workers, Strict: strict, Device: device));

    /// <summary>
    /// The images to measure a checkpoint on, prepared by its evaluation transform. With no
    /// <paramref name="data"/>: what the run itself validated on — the test split of IDX data, or
    /// the validation images of a folder (its own folder, or the same share kept aside by the same
    /// seed). With <paramref name="data"/>: that IDX data set's test split, or every image of that
    /// folder (whose class folders must be among the checkpoint's classes). <paramref name="limit"/>
    /// keeps that many of them (the first of an IDX test split, a seeded subset of a folder's).
    /// </summary>
    public static HeldOutData ForCheckpoint(CheckpointInfo info, string? data, int batchSize, Device device,
        int workers = 2, bool strict = false, int? limit = null)
    {
        string source = data ?? info.Data;
        if (ImageClassificationData.IsIdx(source))
        {
            var idx = ImageClassificationData.Open(source).Subset(null, limit);
            if (idx.Test.ImageShape.Channels != info.EvalTransform.Channels)
                throw new VisionLabException($"{idx.Name} holds {idx.Test.ImageShape} images but the checkpoint's model takes {info.EvalTransform.Input}");
            if (idx.Classes.Count != info.NumClasses)
                throw new VisionLabException($"{idx.Name} has {idx.Classes.Count} classes but the checkpoint's model has {info.NumClasses}");
            var loader = new DataLoader(idx.Test, batchSize, info.EvalTransform.Normalize(), device: device,
                outputSize: (info.EvalTransform.Height, info.EvalTransform.Width));
            return new HeldOutData($"{idx.Name} test", loader, () => []);
        }

        IReadOnlyList<LabelledFile> files;
        string name;
        if (data is null && info.Validation is { } validation)
        {
            var folder = ImageFolder.Scan(info.Data);
            if (!folder.Classes.SequenceEqual(info.Classes))
                throw new VisionLabException($"{info.Data} now has the classes {string.Join(", ", folder.Classes)}, not the checkpoint's " +
                                             $"{string.Join(", ", info.Classes)}; give the images to evaluate with --data");
            files = validation.Pick(folder).Val;
            name = $"{validation.Describe(folder.Root)} (val)";
        }
        else if (data is null)
        {
            // Scoring the whole training folder would pass training images off as held out.
            throw new VisionLabException($"the checkpoint does not record which images of {info.Data} its run validated on " +
                                         "(it was made by an older VisionLab); give the images to evaluate with --data DIR");
        }
        else
        {
            var folder = ImageFolder.Scan(source, info.Classes);
            files = folder.Files;
            name = folder.Root;
        }
        files = Limit(files, limit, info.Seed);
        if (files.Count == 0) throw new VisionLabException($"{name} holds no images");
        var held = HeldOutLoader(name, info.Classes, files, info.EvalTransform, batchSize, device, workers, strict);
        return new HeldOutData(name, held, () => held.Skipped);
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

/// <summary>Images a trained model is measured on, and the unreadable ones left out so far.</summary>
public sealed record HeldOutData(string Name, IBatchSource Batches, Func<IReadOnlyList<SkippedSample>> SkippedSoFar)
{
    public IReadOnlyList<SkippedSample> Skipped => SkippedSoFar();
}
