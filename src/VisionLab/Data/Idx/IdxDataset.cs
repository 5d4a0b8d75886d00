namespace VisionLab.Data.Idx;

/// <summary>Pairs an IDX image file with its IDX label file.</summary>
public static class IdxDataset
{
    public static InMemoryImageDataset Load(string imagesPath, string labelsPath, IReadOnlyList<string> classes, string name)
    {
        var images = IdxFile.Read(imagesPath);
        var labels = IdxFile.Read(labelsPath);
        if (images.Shape.Length is not (3 or 4))
            throw new DataFormatException(imagesPath,
                $"an image file has rank 3 (count, height, width) or 4 (count, channels, height, width), this one has rank {images.Shape.Length}");
        if (labels.Shape.Length != 1)
            throw new DataFormatException(labelsPath, $"a label file has rank 1, this one has rank {labels.Shape.Length}");
        if (images.Shape[0] != labels.Shape[0])
            throw new DataFormatException(labelsPath,
                $"holds {labels.Shape[0]:N0} labels but {Path.GetFileName(imagesPath)} holds {images.Shape[0]:N0} images");

        var shape = images.Shape.Length == 3
            ? new ImageShape(1, images.Shape[1], images.Shape[2])
            : new ImageShape(images.Shape[1], images.Shape[2], images.Shape[3]);
        int bad = Array.FindIndex(labels.Data, l => l >= classes.Count);
        if (bad >= 0)
            throw new DataFormatException(labelsPath,
                $"label {labels.Data[bad]} at item {bad} is not below the number of classes ({classes.Count})");
        return new InMemoryImageDataset(name, classes, shape, images.Data, labels.Data);
    }
}
