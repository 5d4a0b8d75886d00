using VisionLab.Data;
using VisionLab.Training;
using static TorchSharp.torch;

namespace VisionLab.Tests.Training.Evaluation;

/// <summary>
/// Top-k accuracy and the kept mistakes on a "model" whose logits are its input images, so that
/// every score, rank and probability is set by the test.
/// </summary>
public class EvaluatorTests
{
    // Seven classes, class 0 scored highest, then 1, 2, ...: the label's rank is its index + 1.
    private static float[] Ranked(float scale) => [.. Enumerable.Range(0, 7).Select(j => scale * (6 - j))];

    private static double Softmax(float[] logits, int c) =>
        Math.Exp(logits[c]) / logits.Sum(l => Math.Exp(l));

    [Fact]
    public void Top5_counts_labels_ranked_up_to_five_and_top1_only_the_first()
    {
        // Ranks of the true class: 1, 2, 5 | 6, 7, 1 -> top-1 2 of 6, top-5 4 of 6.
        float[][] first = [Ranked(1), Ranked(0.5f), Ranked(2)];
        float[][] second = [Ranked(1), Ranked(0.25f), Ranked(3)];
        var batches = new FixedBatches(FixedBatches.OfScores(first, [0, 1, 4]), FixedBatches.OfScores(second, [5, 6, 0]));
        using var model = new FirstPixelsAreLogits(7);

        var result = Evaluator.Evaluate(model, batches, 7, keepExamples: 2);

        Assert.Equal(5, result.TopK);
        Assert.Equal(2.0 / 6, result.Accuracy, 12);
        Assert.Equal(4.0 / 6, result.Top5Accuracy, 12);
        float[][] all = [.. first, .. second];
        long[] labels = [0, 1, 4, 5, 6, 0];
        double loss = labels.Select((l, i) => -Math.Log(Softmax(all[i], (int)l))).Average();
        Assert.Equal(loss, result.Loss, 5);

        // Every mistake, in split order, with the index running on across batches.
        Assert.Equal(new[] { 1, 2, 3, 4 }, result.Misclassified.Select(m => m.Index));
        foreach (var m in result.Misclassified)
        {
            Assert.Equal(labels[m.Index], m.TrueClass);
            Assert.Equal(0, m.PredictedClass);
            Assert.Equal(Softmax(all[m.Index], m.TrueClass), m.TrueProbability, 5);
            Assert.Equal(Softmax(all[m.Index], 0), m.PredictedProbability, 5);
        }
        // The two surest mistakes keep their pixels: scale 2 (image 2), then scale 1 (image 3).
        Assert.Equal(new[] { 2, 3 }, result.MisclassifiedExamples.Select(e => e.Mistake.Index));
        Assert.Equal(first[2], result.MisclassifiedExamples[0].Pixels);
        Assert.Equal(second[0], result.MisclassifiedExamples[1].Pixels);
        Assert.Equal(new ImageShape(1, 1, 7), result.MisclassifiedExamples[0].Shape);
    }

    [Fact]
    public void A_label_tied_for_fifth_place_counts_as_a_top5_hit()
    {
        // Four classes score higher than the label (class 5); class 4 ties with it.
        var batches = new FixedBatches(FixedBatches.OfScores([[5, 4, 3, 2, 1, 1], [5, 4, 3, 2, 1, 0.5f]], [5, 5]));
        using var model = new FirstPixelsAreLogits(6);

        var result = Evaluator.Evaluate(model, batches, 6);

        Assert.Equal(0.5, result.Top5Accuracy);
    }

    [Fact]
    public void With_fewer_than_five_classes_top_k_is_over_all_of_them()
    {
        var batches = new FixedBatches(FixedBatches.OfScores([[3, 2, 1], [3, 2, 1]], [2, 1]));
        using var model = new FirstPixelsAreLogits(3);

        var result = Evaluator.Evaluate(model, batches, 3);

        Assert.Equal(3, result.TopK);
        Assert.Equal(1.0, result.Top5Accuracy);
        Assert.Equal(0.0, result.Accuracy);
    }

    [Fact]
    public void Top1_and_top5_match_counting_higher_scores_on_random_logits()
    {
        var random = new Random(11);
        const int images = 500, classes = 10;
        var logits = Enumerable.Range(0, images).Select(_ => Enumerable.Range(0, classes).Select(_ => (float)random.NextDouble()).ToArray()).ToArray();
        var labels = Enumerable.Range(0, images).Select(_ => (long)random.Next(classes)).ToArray();
        using var model = new FirstPixelsAreLogits(classes);

        var result = Evaluator.Evaluate(model, new FixedBatches(FixedBatches.OfScores(logits[..300], labels[..300]),
            FixedBatches.OfScores(logits[300..], labels[300..])), classes);

        // Rank of the true class = 1 + how many classes scored higher.
        var ranks = logits.Select((row, i) => 1 + row.Count(v => v > row[labels[i]])).ToArray();
        Assert.Equal(ranks.Count(r => r == 1) / (double)images, result.Accuracy, 12);
        Assert.Equal(ranks.Count(r => r <= 5) / (double)images, result.Top5Accuracy, 12);
        Assert.Equal(ranks.Count(r => r > 1), result.Misclassified.Count);
        // The default keeps 36 examples, the surest first.
        Assert.Equal(Evaluator.DefaultMisclassifiedExamples, result.MisclassifiedExamples.Count);
        var confidences = result.MisclassifiedExamples.Select(e => e.Mistake.PredictedProbability).ToArray();
        Assert.Equal(confidences.OrderDescending(), confidences);
        Assert.True(confidences[^1] >= result.Misclassified.Select(m => m.PredictedProbability).OrderDescending().ElementAt(35));
    }

    [Fact]
    public void No_examples_asked_for_keeps_none_and_a_negative_count_is_refused()
    {
        var batches = new FixedBatches(FixedBatches.OfScores([[1, 2, 3]], [0]));
        using var model = new FirstPixelsAreLogits(3);

        Assert.Empty(Evaluator.Evaluate(model, batches, 3, keepExamples: 0).MisclassifiedExamples);
        var e = Assert.Throws<VisionLabException>(() => Evaluator.Evaluate(model, batches, 3, keepExamples: -1));
        Assert.Contains("-1 misclassified images", e.Message);
    }
}
