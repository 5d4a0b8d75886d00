using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using VisionLab.Tests.Support;
using VisionLab.Training.Optimizers;
using VisionLab.Training.Regularization;
using static TorchSharp.torch;

namespace VisionLab.Tests.Training.Recipes;

/// <summary>
/// Gradient clipping equals torch.nn.utils.clip_grad_norm_, the weight average equals
/// torch.optim.swa_utils.AveragedModel with the same decay, and TorchSharp's cross_entropy with
/// label smoothing equals PyTorch's for hard and soft targets, loss and gradient.
/// </summary>
[Collection(RecipeReferenceCollection.Name)]
public class RegularizationParityTests(RecipeReference reference)
{
    [Fact]
    public void Clipping_by_global_norm_equals_clip_grad_norm()
    {
        foreach (var expected in reference.Root.GetProperty("clipping").EnumerateArray())
        {
            double maxNorm = expected.GetProperty("max_norm").GetDouble();
            using var flat = reference.CreateParameters();
            reference.SetGradients(flat, 0);
            double norm = GradientClipping.ClipByGlobalNorm(flat, maxNorm);
            double torchNorm = expected.GetProperty("norm").GetDouble();
            Assert.True(Math.Abs(norm - torchNorm) <= 1e-6 * torchNorm, $"norm {norm}, torch {torchNorm}");
            var gradients = RecipeReference.Parameters.SelectMany(p => RecipeReference.Floats(expected.GetProperty("gradients").GetProperty(p.Name))).ToArray();
            AssertClose(gradients, flat.Gradients.data<float>().ToArray(), 1e-6, $"clipped to {maxNorm}");
        }
    }

    [Fact]
    public void Clipping_leaves_small_and_non_finite_gradients_alone()
    {
        using var flat = reference.CreateParameters();
        reference.SetGradients(flat, 1);
        using var before = flat.Gradients.clone();
        double norm = GradientClipping.ClipByGlobalNorm(flat, 1e6);
        Assert.True(before.SameAs(flat.Gradients));
        using (no_grad())
        using (var element = flat.Gradients[3])
            element.fill_(float.NaN);
        Assert.True(double.IsNaN(GradientClipping.ClipByGlobalNorm(flat, 0.1)));
        Assert.True(norm > 0);
    }

    public static TheoryData<string> EmaCases() => new(RecipeReference.Emas.Select(e => e.Id));

    [Theory]
    [MemberData(nameof(EmaCases))]
    public void Weight_average_equals_averaged_model(string id)
    {
        var c = RecipeReference.Emas.Single(e => e.Id == id);
        var expected = reference.Root.GetProperty("ema").GetProperty(id);
        using var model = nn.Sequential(("0", nn.Linear(5, 4)), ("1", nn.BatchNorm1d(4)));
        using (no_grad())
            foreach (var (name, value) in model.state_dict())
            {
                using var initial = FromJson(expected.GetProperty("initial").GetProperty(name), value);
                value.copy_(initial);
            }
        using var flat = new FlatParameters(model.named_parameters());
        using var optimizer = new Sgd(flat, 0.1, momentum: 0.9);
        using var ema = new ExponentialMovingAverage(flat, new EmaSettings { Decay = c.Decay, Warmup = c.Warmup, AverageBuffers = c.AverageBuffers }, model);
        model.train();
        foreach (var input in expected.GetProperty("inputs").EnumerateArray())
        {
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            var output = model.call(tensor(RecipeReference.Floats(input)).reshape(8, 5));
            (output.pow(2).mean() + 0.1 * output.select(1, 0).sum()).backward();
            optimizer.Step();
            ema.Update();
        }
        Assert.Equal(RecipeReference.Steps, ema.Updates);

        // The training weights follow torch's SGD; inside the swap the model holds the average.
        AssertState(model, expected.GetProperty("weights"), "weights");
        using (ema.SwapIn())
            AssertState(model, expected.GetProperty("average"), "average");
        AssertState(model, expected.GetProperty("weights"), "weights after the swap");
    }

    [Fact]
    public void Cross_entropy_with_label_smoothing_equals_pytorch_for_hard_and_soft_targets()
    {
        var expected = reference.Root.GetProperty("cross_entropy");
        using var logits = tensor(RecipeReference.Floats(expected.GetProperty("logits"))).reshape(6, 5);
        using var hard = tensor(expected.GetProperty("hard").EnumerateArray().Select(v => v.GetInt64()).ToArray());
        using var soft = tensor(RecipeReference.Floats(expected.GetProperty("soft"))).reshape(6, 5);
        foreach (var (kind, target) in new[] { ("hard", hard), ("soft", soft) })
        {
            using var x = logits.clone().requires_grad_(true);
            using var loss = nn.functional.cross_entropy(x, target, label_smoothing: RecipeReference.LabelSmoothing);
            loss.backward();
            double torchLoss = expected.GetProperty(kind + "_loss").GetDouble();
            Assert.True(Math.Abs(loss.item<float>() - torchLoss) <= 1e-6 * Math.Abs(torchLoss), $"{kind}: loss {loss.item<float>()}, torch {torchLoss}");
            AssertClose(RecipeReference.Floats(expected.GetProperty(kind + "_gradient")), x.grad!.data<float>().ToArray(), 1e-6, $"{kind} gradient");
        }
    }

    private static Tensor FromJson(JsonElement values, Tensor like)
    {
        var data = values.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        using var t = tensor(data);
        return t.to_type(like.dtype).reshape(like.shape);
    }

    private static void AssertState(nn.Module model, JsonElement expected, string what)
    {
        foreach (var (name, value) in model.state_dict())
        {
            if (!value.is_floating_point()) continue;
            var torchValues = RecipeReference.Floats(expected.GetProperty(name));
            AssertClose(torchValues, value.contiguous().data<float>().ToArray(), 2e-6, $"{what} {name}");
        }
    }

    private static void AssertClose(float[] expected, float[] actual, double relative, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-7 + relative * Math.Abs(expected[i]),
                $"{what}: element {i} is {actual[i]}, torch {expected[i]}");
    }
}
