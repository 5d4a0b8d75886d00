using VisionLab.Training.Optimizers;
using VisionLab.Training.Regularization;
using VisionLab.Training.Schedules;
using VisionLab.Training.Transfer;
using static TorchSharp.torch;

namespace VisionLab.Tests.Training.Recipes;

/// <summary>Settings no recipe could use are refused with a message that names the key, the value and what would do.</summary>
public class RecipeSettingsTests
{
    private static void Refused(Action build, string expected) =>
        Assert.Contains(expected, Assert.Throws<VisionLabException>(build).Message);

    [Fact]
    public void Unknown_names_list_the_valid_ones()
    {
        Refused(() => new OptimizerSettings { Name = "lion" }.Validate(), "unknown optimizer 'lion' (choose sgd, adam, adamw, rmsprop)");
        Refused(() => new ScheduleSettings { Name = "exponential" }.Validate(10),
            "unknown schedule 'exponential' (choose constant, step, multistep, cosine, onecycle, plateau)");
    }

    [Theory]
    [InlineData("sgd", -0.1, "optimizer lr -0.1 must be a positive number")]
    [InlineData("sgd", double.NaN, "optimizer lr NaN must be a positive number")]
    [InlineData("adam", 0.0, "optimizer lr 0 must be a positive number")]
    public void Learning_rates_must_be_positive(string name, double lr, string expected) =>
        Refused(() => new OptimizerSettings { Name = name, Lr = lr }.Validate(), expected);

    [Fact]
    public void Optimizer_options_must_fit_the_optimizer()
    {
        Refused(() => new OptimizerSettings { Name = "adam", Nesterov = true }.Validate(), "nesterov applies to sgd only, not adam");
        Refused(() => new OptimizerSettings { Name = "sgd", Nesterov = true, Momentum = 0 }.Validate(), "nesterov needs a momentum above 0");
        Refused(() => new OptimizerSettings { Name = "adamw", Momentum = 0.9 }.Validate(), "momentum does not apply to adamw; set betas");
        Refused(() => new OptimizerSettings { Name = "sgd", Centered = true }.Validate(), "centered applies to rmsprop only");
        Refused(() => new OptimizerSettings { Name = "adam", Betas = [0.9] }.Validate(), "betas [0.9] must be two numbers in [0, 1)");
        Refused(() => new OptimizerSettings { Name = "sgd", WeightDecay = -1e-4 }.Validate(), "weight_decay -0.0001 must be zero or a positive number");
        Refused(() => new OptimizerSettings { Name = "rmsprop", Alpha = 1 }.Validate(), "alpha 1 must be in [0, 1)");
        Refused(() => new OptimizerSettings { Name = "sgd", Momentum = 1.5 }.Validate(), "momentum 1.5 must be in [0, 1)");
    }

    [Fact]
    public void Schedule_options_must_make_a_schedule()
    {
        Refused(() => new ScheduleSettings { Name = "multistep" }.Validate(10), "multistep needs milestones");
        Refused(() => new ScheduleSettings { Name = "multistep", Milestones = [5, 3] }.Validate(10), "milestones [5, 3] must increase (3 follows 5)");
        Refused(() => new ScheduleSettings { Name = "multistep", Milestones = [3, 9], WarmupEpochs = 2 }.Validate(10),
            "milestone 9 is never reached: milestones count epochs after warm-up, and the run has 8");
        Refused(() => new ScheduleSettings { Name = "step", StepSize = 0 }.Validate(10), "step_size 0 must be at least 1 epoch");
        Refused(() => new ScheduleSettings { Name = "step", Gamma = 2 }.Validate(10), "gamma 2 must be in (0, 1]");
        Refused(() => new ScheduleSettings { Name = "cosine", WarmupEpochs = 10 }.Validate(10), "warmup_epochs 10 must be at least 0 and below the 10 epochs");
        Refused(() => new ScheduleSettings { Name = "onecycle", WarmupEpochs = 1 }.Validate(10), "onecycle warms up by itself");
        Refused(() => new ScheduleSettings { Name = "onecycle", PctStart = 1.2 }.Validate(10), "pct_start 1.2 must be between 0 and 1");
        Refused(() => new ScheduleSettings { Name = "onecycle", AnnealStrategy = "exp" }.Validate(10), "anneal_strategy 'exp' must be cos or linear");
        Refused(() => new ScheduleSettings { Name = "plateau", Mode = "maximum" }.Validate(10), "mode 'maximum' must be min (a loss) or max (an accuracy)");
        Refused(() => new ScheduleSettings { Name = "plateau", Factor = 1 }.Validate(10), "factor 1 must be between 0 and 1");
        Refused(() => ScheduleFactory.Create(new ScheduleSettings(), 0.1, 5, 0), "at least one step per epoch");
    }

    [Fact]
    public void Regularisation_and_transfer_options_are_checked()
    {
        Refused(() => new EmaSettings { Decay = 1 }.Validate(), "ema decay 1 must be in [0, 1)");
        Refused(() => new EarlyStoppingSettings { Patience = -1 }.Validate(), "early_stopping patience -1 must be at least 0");
        Refused(() => new EarlyStoppingSettings { Mode = "up" }.Validate(), "early_stopping mode 'up' must be min (a loss) or max (an accuracy)");
        Refused(() => new TransferSettings { FreezeEpochs = 12 }.Validate(10), "freeze_epochs 12 exceeds the run's 10 epochs");
        Refused(() => new TransferSettings { BackboneLrScale = -1 }.Validate(10), "backbone_lr_scale -1 must be zero or a positive number");
    }

    [Fact]
    public void State_from_another_optimizer_or_model_is_refused()
    {
        using var model = new VisionLab.Models.LeNet5();
        using var flat = new FlatParameters(model.named_parameters());
        using var sgd = new Sgd(flat, 0.1);
        using var adam = new Adam(flat, 1e-3);
        adam.Step();
        var saved = adam.State().ToDictionary(s => s.Name, s => s.Value);
        Refused(() => sgd.LoadState(saved), "saved sgd optimiser state has 'exp_avg', 'exp_avg_sq', which this sgd optimiser does not keep");
        var truncated = new Dictionary<string, Tensor> { ["step"] = saved["step"], ["exp_avg"] = saved["exp_avg"] };
        Refused(() => adam.LoadState(truncated), "saved adam optimiser state after 1 steps lacks 'exp_avg_sq'");
        using var small = zeros(5);
        var misshapen = new Dictionary<string, Tensor>(saved) { ["exp_avg"] = small };
        Refused(() => adam.LoadState(misshapen), "saved adam optimiser state 'exp_avg' has shape [5], the parameters [61706]");
        var plateau = new ReduceOnPlateau(0.1);
        Refused(() => plateau.LoadState(new Dictionary<string, Tensor>()), "saved plateau schedule state lacks 'rate'");
    }

    [Fact]
    public void Settings_serialise_only_what_was_set()
    {
        string json = System.Text.Json.JsonSerializer.Serialize(new OptimizerSettings { Name = "adamw", Lr = 3e-4 }, RecipeReference.SnakeCase);
        Assert.Contains("\"lr\":0.0003", json);
        Assert.Contains("\"no_decay_on_norm_and_bias\":false", json);
        Assert.DoesNotContain("kind", json);
        var back = System.Text.Json.JsonSerializer.Deserialize<ScheduleSettings>("{\"name\":\"multistep\",\"milestones\":[30,60],\"warmup_epochs\":5}", RecipeReference.SnakeCase)!;
        Assert.Equal([30, 60], back.Milestones!);
        Assert.Equal(5, back.WarmupEpochs);
    }
}
