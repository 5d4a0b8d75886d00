using VisionLab.Tests.Support;
using VisionLab.Models;
using VisionLab.Training.Optimizers;
using static TorchSharp.torch;

namespace VisionLab.Tests.Training;

/// <summary>
/// VisionLab's flat-buffer optimisers must take exactly the steps torch.optim takes; TorchSharp's
/// own optimisers are line-by-line ports of PyTorch's and serve as the reference.
/// </summary>
public class OptimizerTests
{
    private static void AssertSameSteps(Func<FlatParameters, Optimizer> ours, Func<IEnumerable<TorchSharp.Modules.Parameter>, optim.Optimizer> reference)
    {
        manual_seed(11);
        using var a = new LeNet5();
        manual_seed(11);
        using var b = new LeNet5();
        using var flat = new FlatParameters(a.parameters());
        using var optimizer = ours(flat);
        using var torchOptimizer = reference(b.parameters());
        var generator = manual_seed(5);
        for (int step = 0; step < 6; step++)
        {
            using var scope = NewDisposeScope();
            var x = randn(16, 1, 28, 28);
            var y = randint(0, 10, [16]);
            optimizer.ZeroGrad();
            nn.functional.cross_entropy(a.call(x), y).backward();
            optimizer.Step();
            torchOptimizer.zero_grad();
            nn.functional.cross_entropy(b.call(x), y).backward();
            torchOptimizer.step();
        }
        foreach (var ((name, pa), (_, pb)) in a.named_parameters().Zip(b.named_parameters()))
        {
            double difference = (pa - pb).abs().max().item<float>();
            Assert.True(difference < 2e-6, $"{name} differs by {difference}");
        }
    }

    [Fact]
    public void Sgd_with_momentum_and_weight_decay_steps_as_torch_optim_does() =>
        AssertSameSteps(p => new Sgd(p, 0.05, momentum: 0.9, weightDecay: 1e-3),
            p => optim.SGD(p, 0.05, momentum: 0.9, weight_decay: 1e-3));

    [Fact]
    public void Nesterov_sgd_steps_as_torch_optim_does() =>
        AssertSameSteps(p => new Sgd(p, 0.05, momentum: 0.9, nesterov: true),
            p => optim.SGD(p, 0.05, momentum: 0.9, nesterov: true));

    [Fact]
    public void Adam_steps_as_torch_optim_does() =>
        AssertSameSteps(p => new Adam(p, 1e-3, weightDecay: 1e-4),
            p => optim.Adam(p, 1e-3, weight_decay: 1e-4));

    [Fact]
    public void AdamW_steps_as_torch_optim_does() =>
        AssertSameSteps(p => new Adam(p, 1e-3, weightDecay: 1e-2, decoupled: true),
            p => optim.AdamW(p, 1e-3, weight_decay: 1e-2));

    [Fact]
    public void Parameters_become_views_of_one_buffer()
    {
        using var model = new LeNet5();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var flat = new FlatParameters(model.parameters());
        Assert.Equal(61_706, flat.Values.numel());
        foreach (var (name, value) in model.state_dict())
            Assert.True(value.SameAs(before[name]), $"{name} changed when packed");
        using (no_grad()) flat.Values.fill_(0.5f);
        Assert.All(model.parameters(), p => Assert.True(p.eq(0.5f).all().item<bool>()));
    }
}
