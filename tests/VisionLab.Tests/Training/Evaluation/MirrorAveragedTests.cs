using VisionLab.Inference;
using VisionLab.Training;
using static TorchSharp.torch;

namespace VisionLab.Tests.Training.Evaluation;

/// <summary>
/// Mirror averaging on a "model" whose logits are its input's pixels: an N×1×1×C image mirrored
/// left to right is its scores reversed, so the test knows both views' probabilities.
/// </summary>
public class MirrorAveragedTests
{
    private static double[] Softmax(float[] logits)
    {
        double max = logits.Max();
        var e = logits.Select(l => Math.Exp(l - max)).ToArray();
        return [.. e.Select(x => x / e.Sum())];
    }

    [Fact]
    public void Its_output_is_the_log_of_the_two_views_mean_probabilities()
    {
        float[][] scores = [[2, 0.5f, -1, 0], [-3, 1, 4, 0.25f]];
        using var model = new MirrorAveraged(new FirstPixelsAreLogits(4));
        using var images = FixedBatches.OfScores(scores, [0, 0]).Item1;

        using var output = model.call(images);

        var got = output.data<float>().ToArray();
        for (int i = 0; i < scores.Length; i++)
        {
            var plain = Softmax(scores[i]);
            var mirrored = Softmax([.. scores[i].Reverse()]);
            for (int c = 0; c < 4; c++)
                Assert.Equal(Math.Log((plain[c] + mirrored[c]) / 2), got[i * 4 + c], 5);
        }
    }

    [Fact]
    public void A_class_both_views_rule_out_keeps_a_finite_score()
    {
        // exp(-150) is below float's smallest value: naive log((p + q) / 2) would be −∞, and the
        // cross-entropy of an image labelled so would be infinite.
        using var model = new MirrorAveraged(new FirstPixelsAreLogits(4));
        var batches = new FixedBatches(FixedBatches.OfScores([[0, -150, -150, 0]], [1]));

        var result = Evaluator.Evaluate(model, batches, 4);

        Assert.True(double.IsFinite(result.Loss), $"loss {result.Loss}");
        Assert.Equal(150 + Math.Log(2), result.Loss, 3);
    }

    [Fact]
    public void Evaluation_mode_reaches_the_wrapped_model()
    {
        var inner = new FirstPixelsAreLogits(4);
        using var model = new MirrorAveraged(inner);

        model.eval();
        Assert.False(inner.training);
        model.train();
        Assert.True(inner.training);
    }

    [Fact]
    public void A_batch_that_is_not_images_is_refused_by_name()
    {
        using var model = new MirrorAveraged(new FirstPixelsAreLogits(4));
        using var flat = zeros(2, 4);

        var error = Assert.Throws<VisionLabException>(() => model.call(flat));
        Assert.Contains("[2, 4]", error.Message);
    }
}
