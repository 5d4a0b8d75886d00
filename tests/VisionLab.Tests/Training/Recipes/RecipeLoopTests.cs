using VisionLab.Data.Transforms;
using VisionLab.Models;
using VisionLab.Tests.Support;
using VisionLab.Training;
using VisionLab.Training.Optimizers;
using VisionLab.Training.Regularization;
using VisionLab.Training.Schedules;
using VisionLab.Training.Transfer;
using static TorchSharp.torch;

namespace VisionLab.Tests.Training.Recipes;

/// <summary>
/// The recipe pieces used as a trainer uses them: a run interrupted after two epochs, saved to a
/// checkpoint and resumed in a fresh process-like setup continues bit for bit as the
/// uninterrupted run; gradient accumulation over micro-batches takes the full batch's step.
/// </summary>
public class RecipeLoopTests
{
    private const int Epochs = 4, StepsPerEpoch = 3, Batch = 8;

    /// <summary>A validation loss that improves, then stalls, so the plateau schedule reduces the rate and early stopping counts.</summary>
    private static readonly double[] Monitored = [1.0, 0.9, 1.2, 1.3];

    /// <summary>Everything a run with every recipe piece keeps, built the same way whatever the seed of the initial weights.</summary>
    private sealed class Run : IDisposable
    {
        public readonly LeNet5 Model;
        public readonly FlatParameters Flat;
        public readonly Optimizer Optimizer;
        public readonly ILearningRateSchedule Schedule;
        public readonly ExponentialMovingAverage Ema;
        public readonly EarlyStopping Stopping;
        public readonly BackboneFreezing Freezing;

        public Run(int seed, string optimizer)
        {
            manual_seed(seed);
            double lr = optimizer == "sgd" ? 0.05 : 1e-3;
            Model = new LeNet5();
            Flat = new FlatParameters(Model.named_parameters());
            Optimizer = OptimizerFactory.Create(new OptimizerSettings
            {
                Name = optimizer, Lr = lr, WeightDecay = 0.01, NoDecayOnNormAndBias = true,
                Momentum = optimizer == "adamw" ? null : 0.9, Nesterov = optimizer == "sgd", Centered = optimizer == "rmsprop",
            }, Flat);
            Schedule = ScheduleFactory.Create(new ScheduleSettings { Name = "plateau", Patience = 0, WarmupEpochs = 1 }, lr, Epochs, StepsPerEpoch);
            Ema = new ExponentialMovingAverage(Flat, new EmaSettings { Decay = 0.9, AverageBuffers = true }, Model);
            Stopping = new EarlyStopping(new EarlyStoppingSettings { Patience = 2 });
            Freezing = new BackboneFreezing(TransferLearning.HeadParameterNames(Model), new TransferSettings { FreezeEpochs = 1, BackboneLrScale = 0.5 });
        }

        public void TrainEpoch(int epoch)
        {
            Model.train();
            Freezing.Apply(Optimizer, epoch);
            for (int batch = 0; batch < StepsPerEpoch; batch++)
            {
                using var scope = NewDisposeScope();
                long step = (long)epoch * StepsPerEpoch + batch;
                using var generator = new Generator((ulong)(1000 + step));
                var x = randn([Batch, 1, 28, 28], generator: generator);
                var y = randint(0, 10, [Batch], generator: generator);
                Optimizer.LearningRate = Schedule.RateAt(step);
                Optimizer.ZeroGrad();
                nn.functional.cross_entropy(Model.call(x), y, label_smoothing: 0.1).backward();
                GradientClipping.ClipByGlobalNorm(Flat, 1.0);
                Optimizer.Step();
                Ema.Update();
            }
            Schedule.OnEpochEnd(epoch, Monitored[epoch]);
            Stopping.ShouldStop(epoch, Monitored[epoch]);
        }

        public IEnumerable<(string Name, Tensor Value)> State() =>
            Optimizer.Prefixed("optimizer").Concat(Schedule.Prefixed("schedule")).Concat(Ema.Prefixed("ema")).Concat(Stopping.Prefixed("early_stopping"));

        public void LoadState(IReadOnlyDictionary<string, Tensor> saved)
        {
            Optimizer.LoadPrefixed(saved, "optimizer");
            Schedule.LoadPrefixed(saved, "schedule");
            Ema.LoadPrefixed(saved, "ema");
            Stopping.LoadPrefixed(saved, "early_stopping");
        }

        public void Dispose()
        {
            Ema.Dispose();
            Optimizer.Dispose();
            Flat.Dispose();
            Model.Dispose();
        }
    }

    private static CheckpointInfo Describe(int epoch) => new()
    {
        Model = "lenet5",
        NumClasses = 10,
        InChannels = 1,
        Classes = Enumerable.Range(0, 10).Select(i => $"class {i}").ToArray(),
        EvalTransform = new EvalTransform(1, 28, 28, [0.5f], [0.5f]),
        Data = "random",
        Epoch = epoch,
    };

    [Theory]
    [InlineData("sgd")]
    [InlineData("adamw")]
    [InlineData("rmsprop")]
    public void A_resumed_run_continues_bit_for_bit(string optimizer)
    {
        using var dir = new TempFolder();
        using var uninterrupted = new Run(1, optimizer);
        for (int epoch = 0; epoch < Epochs; epoch++) uninterrupted.TrainEpoch(epoch);

        string path = dir.File("last.ckpt");
        using (var interrupted = new Run(1, optimizer))
        {
            for (int epoch = 0; epoch < 2; epoch++) interrupted.TrainEpoch(epoch);
            Checkpoint.Save(path, Describe(2), interrupted.Model, interrupted.State());
        }

        // Other initial weights, so that everything the resumed run knows comes from the file.
        using var resumed = new Run(99, optimizer);
        using (var loaded = Checkpoint.Load(path))
        {
            StateDict.LoadStrict(resumed.Model, loaded.Model.state_dict(), path);
            resumed.LoadState(loaded.OptimizerState);
            loaded.Model.Dispose();
        }
        for (int epoch = 2; epoch < Epochs; epoch++) resumed.TrainEpoch(epoch);

        Assert.True(uninterrupted.Flat.Values.SameAs(resumed.Flat.Values), "weights differ");
        var expected = uninterrupted.State().ToDictionary(s => s.Name, s => s.Value);
        var actual = resumed.State().ToDictionary(s => s.Name, s => s.Value);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, value) in expected)
            Assert.True(value.SameAs(actual[name]), $"{name} differs after resuming");
        Assert.True(uninterrupted.Optimizer.LearningRate < (optimizer == "sgd" ? 0.05 : 1e-3), "the plateau schedule never reduced the rate");
        Assert.Equal(1, uninterrupted.Stopping.BestEpoch);
    }

    [Fact]
    public void Accumulating_gradients_over_micro_batches_takes_the_full_batch_step()
    {
        using var generator = new Generator(5);
        using var x = randn([8, 1, 28, 28], generator: generator);
        using var y = randint(0, 10, [8], generator: generator);
        float[] Train(int microBatches)
        {
            manual_seed(4);
            using var model = new LeNet5();
            using var flat = new FlatParameters(model.named_parameters());
            // SGD, whose step is linear in the gradient: Adam divides by the gradient's own size, so
            // an element whose gradient is nearly zero moves by about the learning rate in a
            // direction set by rounding, and summation order alone (one batch or four) flips it.
            using var optimizer = new Sgd(flat, 0.05, momentum: 0.9, weightDecay: 0.05, nesterov: true);
            for (int step = 0; step < 3; step++)
            {
                optimizer.ZeroGrad();
                int size = 8 / microBatches;
                for (int k = 0; k < microBatches; k++)
                {
                    using var scope = NewDisposeScope();
                    var loss = nn.functional.cross_entropy(model.call(x.narrow(0, k * size, size)), y.narrow(0, k * size, size));
                    (loss / microBatches).backward();
                }
                optimizer.Step();
            }
            return flat.Values.data<float>().ToArray();
        }
        var whole = Train(1);
        var accumulated = Train(4);
        for (int i = 0; i < whole.Length; i++)
            Assert.True(Math.Abs(whole[i] - accumulated[i]) <= 1e-5, $"element {i}: {whole[i]} in one batch, {accumulated[i]} accumulated");
    }

    [Fact]
    public void Early_stopping_waits_for_its_patience_and_remembers_the_best_epoch()
    {
        var stopping = new EarlyStopping(new EarlyStoppingSettings { Patience = 2, MinDelta = 0.01, Mode = "max" });
        double[] accuracy = [0.5, 0.6, 0.605, 0.7, 0.69, 0.705];
        var stops = accuracy.Select((a, epoch) => stopping.ShouldStop(epoch, a)).ToArray();
        Assert.Equal([false, false, false, false, false, true], stops);
        Assert.Equal(3, stopping.BestEpoch);
        Assert.Equal(0.7, stopping.Best);
    }
}
