using VisionLab.Training.Schedules;

namespace VisionLab.Tests.Training.Recipes;

/// <summary>
/// The rate (and the one-cycle momentum) for every step equals what torch's schedulers give when
/// stepped as <see cref="ScheduleFactory"/> documents: StepLR, MultiStepLR, CosineAnnealingLR and
/// ReduceLROnPlateau per epoch, OneCycleLR per batch, LinearLR warm-up per batch followed by the
/// main schedule started afresh.
/// </summary>
[Collection(RecipeReferenceCollection.Name)]
public class ScheduleParityTests(RecipeReference reference)
{
    public static TheoryData<string> Cases() => new(RecipeReference.Schedules.Select(c => c.Id));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rates_equal_torch_lr_scheduler_step_by_step(string id)
    {
        var c = RecipeReference.Schedules.Single(s => s.Id == id);
        var expected = reference.Root.GetProperty("schedules").GetProperty(id);
        var rates = RecipeReference.Doubles(expected.GetProperty("rates"));
        var momenta = expected.GetProperty("momenta").EnumerateArray()
            .Select(m => m.ValueKind == System.Text.Json.JsonValueKind.Null ? (double?)null : m.GetDouble()).ToArray();
        Assert.Equal(c.Epochs * c.StepsPerEpoch, rates.Length);

        var schedule = ScheduleFactory.Create(c.Settings, c.BaseLr, c.Epochs, c.StepsPerEpoch);
        long step = 0;
        for (int epoch = 0; epoch < c.Epochs; epoch++)
        {
            for (int batch = 0; batch < c.StepsPerEpoch; batch++, step++)
            {
                double rate = schedule.RateAt(step);
                Assert.True(Math.Abs(rate - rates[step]) <= 1e-12 + 1e-9 * Math.Abs(rates[step]),
                    $"{id}: step {step} (epoch {epoch}) rate {rate}, torch {rates[step]}");
                var momentum = schedule.MomentumAt(step);
                Assert.Equal(momenta[step].HasValue, momentum.HasValue);
                if (momentum is { } m)
                    Assert.True(Math.Abs(m - momenta[step]!.Value) <= 1e-12, $"{id}: step {step} momentum {m}, torch {momenta[step]}");
            }
            schedule.OnEpochEnd(epoch, c.Metrics[epoch]);
        }
    }

    [Fact]
    public void Warm_up_rises_linearly_within_the_first_epoch()
    {
        var schedule = ScheduleFactory.Create(new ScheduleSettings { Name = "cosine", WarmupEpochs = 1, WarmupStartFactor = 0.2 }, 1.0, 5, 4);
        Assert.Equal([0.2, 0.4, 0.6, 0.8, 1.0], Enumerable.Range(0, 5).Select(s => Math.Round(schedule.RateAt(s), 12)));
    }

    [Fact]
    public void A_step_outside_the_run_is_refused()
    {
        var schedule = ScheduleFactory.Create(new ScheduleSettings { Name = "onecycle" }, 0.1, 2, 3);
        var e = Assert.Throws<VisionLabException>(() => schedule.RateAt(6));
        Assert.Contains("outside the schedule's 6 steps", e.Message);
    }
}
