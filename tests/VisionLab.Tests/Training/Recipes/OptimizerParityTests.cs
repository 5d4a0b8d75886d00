using VisionLab.Tests.Support;
using VisionLab.Training.Optimizers;
using VisionLab.Training.Schedules;
using static TorchSharp.torch;

namespace VisionLab.Tests.Training.Recipes;

/// <summary>
/// VisionLab's flat optimisers with per-parameter rate scales and weight-decay flags take the steps
/// torch.optim takes with the corresponding parameter groups, for SGD (momentum, Nesterov, plain,
/// a frozen group), Adam, AdamW and RMSprop (plain, centred, momentum), and with a one-cycle
/// schedule moving the rate and the momentum (Adam's β₁) at every step.
/// </summary>
[Collection(RecipeReferenceCollection.Name)]
public class OptimizerParityTests(RecipeReference reference)
{
    public static TheoryData<string> Cases() => new(RecipeReference.Optimizers.Select(c => c.Id));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Steps_equal_torch_optim_with_parameter_groups(string id)
    {
        var c = RecipeReference.Optimizers.Single(o => o.Id == id);
        using var flat = reference.CreateParameters();
        using var optimizer = OptimizerFactory.Create(c.Settings, flat);
        optimizer.SetLearningRateScale(flat.Names.Where(n => !RecipeReference.IsHead(n)), c.BackboneScale);
        var schedule = c.OneCycle is null ? null : ScheduleFactory.Create(c.OneCycle, c.Settings.LearningRate(), 1, RecipeReference.Steps);
        for (int step = 0; step < RecipeReference.Steps; step++)
        {
            if (schedule is not null)
            {
                optimizer.LearningRate = schedule.RateAt(step);
                if (schedule.MomentumAt(step) is { } momentum) optimizer.Momentum = momentum;
            }
            reference.SetGradients(flat, step);
            optimizer.Step();
            var expected = reference.ParametersAfter(id, step);
            var actual = flat.Values.data<float>().ToArray();
            for (int i = 0; i < expected.Length; i++)
            {
                double tolerance = 1e-6 + 2e-6 * Math.Abs(expected[i]);
                Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance,
                    $"{id}: element {i} ({NameOf(flat, i)}) after step {step + 1} is {actual[i]}, torch {expected[i]}");
            }
        }
    }

    [Fact]
    public void Decay_rule_spares_biases_norms_and_embeddings()
    {
        var rule = WeightDecayRule.NotOnNormAndBias;
        Assert.True(rule.Applies("features.0.weight", [3, 2, 3, 3]));
        Assert.True(rule.Applies("head.weight", [4, 3]));
        Assert.True(rule.Applies("encoder.layers.encoder_layer_0.self_attention.in_proj_weight", [96, 32]));
        Assert.False(rule.Applies("features.0.bias", [3]));
        Assert.False(rule.Applies("features.1.weight", [3]));
        Assert.False(rule.Applies("encoder.pos_embedding", [1, 50, 768]));
        Assert.False(rule.Applies("class_token", [1, 1, 768]));
        Assert.False(rule.Applies("features.1.0.layer_scale", [96, 1, 1]));
        Assert.False(rule.Applies("features.0.0.attn.relative_position_bias_table", [169, 3]));
        Assert.True(WeightDecayRule.AllParameters.Applies("features.1.bias", [3]));
    }

    [Fact]
    public void A_step_leaves_the_gradients_as_backward_left_them()
    {
        foreach (var c in RecipeReference.Optimizers)
        {
            using var flat = reference.CreateParameters();
            using var optimizer = OptimizerFactory.Create(c.Settings, flat);
            optimizer.SetLearningRateScale(flat.Names.Where(n => !RecipeReference.IsHead(n)), 0.5);
            for (int step = 0; step < 2; step++)
            {
                reference.SetGradients(flat, step);
                using var before = flat.Gradients.clone();
                optimizer.Step();
                Assert.True(before.SameAs(flat.Gradients), $"{c.Id} changed the gradients in step {step + 1}");
            }
        }
    }

    private static string NameOf(FlatParameters flat, int element)
    {
        int i = flat.Offsets.Count - 1;
        while (flat.Offsets[i] > element) i--;
        return flat.Names[i];
    }
}
