using System.Text.Json;
using TorchSharp.Modules;
using VisionLab.Tests.Support;
using VisionLab.Training.Optimizers;
using VisionLab.Training.Schedules;
using static TorchSharp.torch;

namespace VisionLab.Tests.Training.Recipes;

/// <summary>An optimiser case: settings, the backbone's rate scale (the head keeps 1) and, optionally, a one-cycle schedule driving it.</summary>
public sealed record OptimizerCase(string Id, OptimizerSettings Settings, double BackboneScale, ScheduleSettings? OneCycle = null);

/// <summary>A schedule case over <c>Epochs</c> × <c>StepsPerEpoch</c> steps; <c>Metrics</c> feed the plateau schedule.</summary>
public sealed record ScheduleCase(string Id, ScheduleSettings Settings, double BaseLr, int Epochs, int StepsPerEpoch, double[] Metrics);

/// <summary>A weight-average case on a Linear + BatchNorm1d model trained by SGD.</summary>
public sealed record EmaCase(string Id, double Decay, bool Warmup, bool AverageBuffers);

/// <summary>
/// What torch.optim, its schedulers, AveragedModel, clip_grad_norm_ and cross_entropy compute for
/// the cases below, made once by recipes_reference.py with Debian's PyTorch and shared by the
/// recipe parity tests.
/// </summary>
public sealed class RecipeReference
{
    public const int Steps = 5;

    /// <summary>Toy parameters named like a model's: a convolution, a norm, an embedding, and the head.</summary>
    public static readonly (string Name, long[] Shape)[] Parameters =
    [
        ("features.0.weight", [3, 2, 3, 3]),
        ("features.0.bias", [3]),
        ("features.1.weight", [3]),
        ("features.1.bias", [3]),
        ("pos_embedding", [1, 2, 3]),
        ("head.weight", [4, 3]),
        ("head.bias", [4]),
    ];

    public static bool IsHead(string name) => name.StartsWith("head.", StringComparison.Ordinal);

    private static readonly ScheduleSettings Cycle = new()
    {
        Name = "onecycle", MaxLr = 0.01, PctStart = 0.4, DivFactor = 10, FinalDivFactor = 100,
    };

    public static readonly OptimizerCase[] Optimizers =
    [
        new("sgd_momentum_no_decay_on_norm", new() { Name = "sgd", Lr = 0.1, Momentum = 0.9, WeightDecay = 0.05, NoDecayOnNormAndBias = true }, 0.1),
        new("sgd_nesterov", new() { Name = "sgd", Lr = 0.1, Momentum = 0.9, Nesterov = true, WeightDecay = 0.05, NoDecayOnNormAndBias = true }, 0.25),
        new("sgd_plain", new() { Name = "sgd", Lr = 0.1, Momentum = 0, WeightDecay = 0.01 }, 1),
        new("sgd_frozen_backbone", new() { Name = "sgd", Lr = 0.1, Momentum = 0.9, WeightDecay = 0.05 }, 0),
        new("adam", new() { Name = "adam", Lr = 0.01, WeightDecay = 0.02, NoDecayOnNormAndBias = true }, 0.1),
        new("adamw", new() { Name = "adamw", Lr = 0.01, WeightDecay = 0.05, NoDecayOnNormAndBias = true, Betas = [0.8, 0.99] }, 0.1),
        new("adamw_all_decay", new() { Name = "adamw", Lr = 0.01, WeightDecay = 0.05 }, 1),
        new("rmsprop", new() { Name = "rmsprop", Lr = 0.01, Momentum = 0, WeightDecay = 0.01, NoDecayOnNormAndBias = true }, 0.1),
        new("rmsprop_centered", new() { Name = "rmsprop", Lr = 0.01, Momentum = 0, Centered = true, Alpha = 0.9 }, 0.5),
        new("rmsprop_momentum", new() { Name = "rmsprop", Lr = 0.01, Momentum = 0.9, WeightDecay = 0.01, Eps = 1e-3 }, 0.1),
        new("rmsprop_centered_momentum", new() { Name = "rmsprop", Lr = 0.01, Momentum = 0.5, Centered = true, NoDecayOnNormAndBias = true, WeightDecay = 0.1 }, 0.1),
        new("adam_one_cycle", new() { Name = "adam", Lr = 0.01 }, 0.1, Cycle),
        new("sgd_one_cycle_three_phase", new() { Name = "sgd", Lr = 0.1, Momentum = 0.9 }, 0.5,
            Cycle with { ThreePhase = true, AnnealStrategy = "linear", PctStart = 0.3 }),
    ];

    /// <summary>Validation losses that improve, stall, improve by less than the threshold, and stall again.</summary>
    private static readonly double[] Losses = [1.0, 0.8, 0.81, 0.82, 0.79995, 0.83, 0.5, 0.6, 0.6, 0.6];

    public static readonly ScheduleCase[] Schedules =
    [
        new("constant", new() { Name = "constant" }, 0.1, 3, 4, Losses),
        new("step", new() { Name = "step", StepSize = 1, Gamma = 0.5 }, 0.1, 3, 4, Losses),
        new("step_default_size", new() { Name = "step" }, 0.1, 9, 2, Losses),
        new("multistep", new() { Name = "multistep", Milestones = [1, 2], Gamma = 0.3 }, 0.1, 4, 3, Losses),
        new("cosine", new() { Name = "cosine" }, 0.1, 3, 4, Losses),
        new("cosine_min_lr", new() { Name = "cosine", MinLr = 0.01 }, 0.1, 5, 2, Losses),
        new("cosine_warmup", new() { Name = "cosine", WarmupEpochs = 1, WarmupStartFactor = 0.1 }, 0.1, 3, 4, Losses),
        new("multistep_warmup", new() { Name = "multistep", WarmupEpochs = 2, Milestones = [1], Gamma = 0.1 }, 0.1, 4, 3, Losses),
        new("onecycle", new() { Name = "onecycle" }, 0.1, 3, 4, Losses),
        new("onecycle_linear_three_phase", new() { Name = "onecycle", AnnealStrategy = "linear", ThreePhase = true, MaxLr = 0.5, PctStart = 0.25 }, 0.1, 3, 5, Losses),
        new("onecycle_no_momentum", new() { Name = "onecycle", CycleMomentum = false, DivFactor = 5 }, 0.1, 2, 7, Losses),
        new("plateau", new() { Name = "plateau", Patience = 1 }, 0.1, 10, 2, Losses),
        new("plateau_max_abs_cooldown", new() { Name = "plateau", Mode = "max", ThresholdMode = "abs", Threshold = 0.01, Patience = 0, Cooldown = 1, Factor = 0.5, MinLr = 0.02 },
            0.1, 10, 1, Losses.Select(l => -l).ToArray()),
        new("plateau_warmup", new() { Name = "plateau", Patience = 0, WarmupEpochs = 2, WarmupStartFactor = 0.5 }, 0.1, 10, 3, Losses),
    ];

    public static readonly double[] ClipNorms = [0.5, 1e4];

    public const double LabelSmoothing = 0.1;

    public static readonly EmaCase[] Emas =
    [
        new("warmup_copied_buffers", 0.9, Warmup: true, AverageBuffers: false),
        new("averaged_buffers", 0.7, Warmup: false, AverageBuffers: true),
    ];

    public static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public RecipeReference()
    {
        var request = new Dictionary<string, object>
        {
            ["seed"] = 2024,
            ["steps"] = Steps,
            ["parameters"] = Parameters.Select(p => new { name = p.Name, shape = p.Shape }),
            ["optimizers"] = Optimizers.Select(c => new
            {
                id = c.Id,
                settings = c.Settings,
                decay = Parameters.Select(p => c.Settings.DecayRule().Applies(p.Name, p.Shape)),
                scale = Parameters.Select(p => IsHead(p.Name) ? 1 : c.BackboneScale),
                one_cycle = c.OneCycle,
            }),
            ["schedules"] = Schedules.Select(c => new
            {
                id = c.Id, settings = c.Settings, base_lr = c.BaseLr, epochs = c.Epochs, steps_per_epoch = c.StepsPerEpoch, metrics = c.Metrics,
            }),
            ["clip_norms"] = ClipNorms,
            ["label_smoothing"] = LabelSmoothing,
            ["ema"] = Emas.Select(e => new { id = e.Id, decay = e.Decay, warmup = e.Warmup, average_buffers = e.AverageBuffers }),
        };
        using var folder = new TempFolder();
        PythonReferenceScript.Run("Training/Recipes/recipes_reference.py", folder.Path, JsonSerializer.Serialize(request, SnakeCase));
        Root = JsonDocument.Parse(File.ReadAllText(folder.File("reference.json"))).RootElement.Clone();
    }

    public JsonElement Root { get; }

    public static float[] Floats(JsonElement array) => array.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    public static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    /// <summary>Fresh toy parameters holding the reference's initial values, packed flat.</summary>
    public FlatParameters CreateParameters()
    {
        var initial = Root.GetProperty("initial");
        var parameters = Parameters.Select(p =>
            (p.Name, new Parameter(tensor(Floats(initial.GetProperty(p.Name))).reshape(p.Shape)))).ToList();
        return new FlatParameters(parameters);
    }

    /// <summary>Writes step <paramref name="step"/>'s reference gradients into the flat gradient buffer.</summary>
    public void SetGradients(FlatParameters flat, int step)
    {
        var gradients = Root.GetProperty("gradients")[step];
        using var _ = no_grad();
        for (int i = 0; i < flat.Names.Count; i++)
        {
            using var values = tensor(Floats(gradients.GetProperty(flat.Names[i])));
            using var slice = flat.Gradients.narrow(0, flat.Offsets[i], values.numel());
            slice.copy_(values);
        }
    }

    /// <summary>The reference values of every parameter after step <paramref name="step"/> of optimiser case <paramref name="id"/>.</summary>
    public float[] ParametersAfter(string id, int step)
    {
        var state = Root.GetProperty("optimizers").GetProperty(id)[step];
        return Parameters.SelectMany(p => Floats(state.GetProperty(p.Name))).ToArray();
    }
}

[CollectionDefinition(Name)]
public sealed class RecipeReferenceCollection : ICollectionFixture<RecipeReference>
{
    public const string Name = "PyTorch recipe references";
}
