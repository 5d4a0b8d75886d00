namespace VisionLab.Data.Folders;

/// <summary>
/// Splits labelled files so that every class gives the same share to validation — a rare class is
/// not left out of it by chance — and the same seed picks the same files on every machine (the
/// input order is fixed by <see cref="ImageFolder"/>, the shuffle by the seed alone).
/// </summary>
public static class StratifiedSplit
{
    public static (IReadOnlyList<LabelledFile> Train, IReadOnlyList<LabelledFile> Val) Pick(
        IReadOnlyList<LabelledFile> files, int classes, double valFraction, int seed)
    {
        if (!(valFraction > 0 && valFraction < 1))
            throw new VisionLabException($"validation share {valFraction} must be between 0 and 1");
        var random = new Random(seed);
        var train = new List<LabelledFile>();
        var val = new List<LabelledFile>();
        for (int label = 0; label < classes; label++)
        {
            var members = files.Where(f => f.Label == label).ToArray();
            random.Shuffle(members);
            // Every class with two images or more gets at least one on each side.
            int count = members.Length < 2 ? 0
                : Math.Clamp((int)Math.Round(members.Length * valFraction, MidpointRounding.AwayFromZero), 1, members.Length - 1);
            val.AddRange(members[..count]);
            train.AddRange(members[count..]);
        }
        return (train, val);
    }
}
