using VisionLab.Models;
using VisionLab.Runtime;
using static TorchSharp.torch;

namespace VisionLab.Training.Objectives;

/// <summary>
/// Knowledge distillation — Hinton, Vinyals, Dean, "Distilling the Knowledge in a Neural Network",
/// 2015. The student also matches the teacher's output distribution softened by a temperature T: the
/// small probabilities a good teacher gives to wrong classes ("a shirt looks a bit like a pullover")
/// carry more information per example than the hard label. The loss is
/// (1 − w) · CE(student, labels) + w · T² · KL(softmax(teacher / T) ‖ softmax(student / T)); the T²
/// keeps the soft term's gradients at the same scale as T changes.
/// </summary>
public sealed class Distillation : ITrainingObjective
{
    private readonly ImageClassifier teacher;

    public Distillation(ImageClassifier teacher, double temperature, double weight)
    {
        if (!(temperature > 0)) throw new VisionLabException($"distillation temperature {temperature} must be positive");
        if (weight is < 0 or > 1) throw new VisionLabException($"distillation weight {weight} must be between 0 and 1");
        this.teacher = teacher;
        Temperature = temperature;
        Weight = weight;
        teacher.eval();
        foreach (var p in teacher.parameters()) p.requires_grad = false;
    }

    public IEnumerable<nn.Module> Networks => [teacher];

    public double Temperature { get; }
    public double Weight { get; }

    public Tensor Loss(Tensor images, Tensor logits, Tensor labels, Tensor crossEntropy)
    {
        Tensor teacherLogits;
        using (no_grad()) teacherLogits = teacher.call(images);
        if (teacherLogits.shape[1] != logits.shape[1])
            throw new VisionLabException($"the teacher has {teacherLogits.shape[1]} classes and the student {logits.shape[1]}");
        var soft = SoftTargetLoss(logits, teacherLogits, Temperature);
        return crossEntropy.Times(1 - Weight).Plus(soft.Times(Weight * Temperature * Temperature));
    }

    /// <summary>KL(softmax(teacher / T) ‖ softmax(student / T)), averaged over the batch.</summary>
    public static Tensor SoftTargetLoss(Tensor studentLogits, Tensor teacherLogits, double temperature)
    {
        var studentLog = nn.functional.log_softmax(studentLogits.DividedBy(temperature), 1);
        var teacherLog = nn.functional.log_softmax(teacherLogits.DividedBy(temperature), 1);
        return (teacherLog.exp() * (teacherLog - studentLog)).sum(1).mean();
    }
}
