using VisionLab.Training.Optimizers;

namespace VisionLab.Training.Transfer;

/// <summary>
/// Freezes a backbone for the first epochs of fine-tuning, then lets it train at a smaller rate
/// (<see cref="TransferSettings"/>). Frozen means two things: its learning-rate scale is 0, so no
/// update — momentum or weight decay included — moves it by a bit; and its parameters stop
/// requiring gradients, so backward stops at the head and a frozen epoch costs little more than
/// a forward pass. In torch terms: backbone.requires_grad_(False), its gradients zeroed (not
/// None, torch 1.13's zero_grad()), its param group at lr 0; unfrozen, requires_grad_(True) and
/// lr × backbone_lr_scale. Batch-norm statistics still follow the data in training mode.
/// </summary>
public sealed class BackboneFreezing
{
    private readonly HashSet<string> head;

    /// <param name="headParameterNames">The head, from <see cref="TransferLearning.HeadParameterNames"/>
    /// or <see cref="TransferLearning.ReplaceHead"/>.</param>
    public BackboneFreezing(IEnumerable<string> headParameterNames, TransferSettings settings)
    {
        head = headParameterNames.ToHashSet();
        if (head.Count == 0) throw new VisionLabException("freezing the backbone needs the head's parameter names");
        Settings = settings;
    }

    public TransferSettings Settings { get; }

    public bool FrozenAt(int epoch) => epoch < Settings.FreezeEpochs;

    /// <summary>The backbone's learning-rate scale during the zero-based <paramref name="epoch"/>.</summary>
    public double BackboneScaleAt(int epoch) => FrozenAt(epoch) ? 0 : Settings.BackboneLrScale;

    /// <summary>
    /// Sets the optimiser's parameters up for <paramref name="epoch"/>: call at the start of every
    /// epoch, a resumed run's first included. The head stays at scale 1.
    /// </summary>
    public void Apply(Optimizer optimizer, int epoch)
    {
        var names = optimizer.Parameters.Names;
        var missing = head.Where(h => !names.Contains(h)).ToList();
        if (missing.Count > 0)
            throw new VisionLabException($"the optimiser does not hold the head parameter(s) {string.Join(", ", missing)}; pack the parameters after replacing the head");
        var backbone = names.Where(n => !head.Contains(n)).ToList();
        bool frozen = FrozenAt(epoch);
        optimizer.SetLearningRateScale(backbone, BackboneScaleAt(epoch));
        optimizer.SetLearningRateScale(head, 1);
        for (int i = 0; i < names.Count; i++)
            optimizer.Parameters.Parameters[i].requires_grad = !frozen || head.Contains(names[i]);
    }
}
