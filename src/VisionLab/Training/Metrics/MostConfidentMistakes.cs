using VisionLab.Data;
using static TorchSharp.torch;

namespace VisionLab.Training.Metrics;

/// <summary>
/// Keeps the pixels of the <c>capacity</c> mistakes the model was surest of (highest probability
/// of the wrong class; the earlier image on a tie) while a split streams past: a min-heap on that
/// probability, so a mistake is copied only when it beats the least confident one kept. These are
/// fastai's "top losses" in spirit — confident mistakes show label noise and the confusions the
/// model has actually learnt, where the first N mistakes in split order are mostly borderline
/// images. Copies per pass grow with capacity × log(mistakes / capacity), not with the split.
/// </summary>
internal sealed class MostConfidentMistakes(int capacity)
{
    private sealed class Kept(Misclassification mistake)
    {
        public Misclassification Mistake { get; } = mistake;
        public float[]? Pixels { get; set; }
        public bool Evicted { get; set; }
    }

    // The heap's minimum is the one to evict: least confident, then the later image.
    private static readonly Comparer<Misclassification> EvictFirst = Comparer<Misclassification>.Create((a, b) =>
        a.PredictedProbability != b.PredictedProbability
            ? a.PredictedProbability.CompareTo(b.PredictedProbability)
            : b.Index.CompareTo(a.Index));

    private readonly PriorityQueue<Kept, Misclassification> heap = new(EvictFirst);
    private readonly List<(Kept Entry, long Row)> pending = [];
    private ImageShape? shape;

    /// <summary>Considers a mistake of the current batch (at <paramref name="row"/>); its pixels are
    /// copied by <see cref="CopyPixels"/> if it is still kept once the batch is done.</summary>
    public void Offer(Misclassification mistake, long row)
    {
        if (capacity == 0) return;
        if (heap.Count == capacity)
        {
            if (EvictFirst.Compare(mistake, heap.Peek().Mistake) <= 0) return;
            heap.Dequeue().Evicted = true;
        }
        var kept = new Kept(mistake);
        heap.Enqueue(kept, mistake);
        pending.Add((kept, row));
    }

    /// <summary>Copies the pixels of this batch's mistakes that are still kept, in one gather.</summary>
    public void CopyPixels(Tensor images)
    {
        var wanted = pending.Where(p => !p.Entry.Evicted).ToArray();
        pending.Clear();
        if (wanted.Length == 0) return;
        if (images.dim() != 4)
            throw new VisionLabException($"misclassified images: a batch of shape [{string.Join(", ", images.shape)}] is not N×C×H×W");
        using var scope = NewDisposeScope();
        var rows = tensor(wanted.Select(w => w.Row).ToArray(), device: images.device);
        var chosen = images.index_select(0, rows).to(ScalarType.Float32).cpu().contiguous();
        var image = new ImageShape((int)chosen.shape[1], (int)chosen.shape[2], (int)chosen.shape[3]);
        shape = image;
        var all = chosen.data<float>().ToArray();
        for (int i = 0; i < wanted.Length; i++) wanted[i].Entry.Pixels = all.AsSpan(i * image.Elements, image.Elements).ToArray();
    }

    /// <summary>The kept mistakes, most confident first.</summary>
    public IReadOnlyList<MisclassifiedExample> Examples() =>
        heap.UnorderedItems.Select(e => e.Element)
            .OrderByDescending(k => k.Mistake, EvictFirst)
            .Select(k => new MisclassifiedExample(k.Mistake, k.Pixels!, shape!.Value))
            .ToArray();
}
