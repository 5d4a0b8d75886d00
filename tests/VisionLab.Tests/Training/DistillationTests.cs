using VisionLab.Data;
using VisionLab.Tests.Support;
using VisionLab.Training;
using VisionLab.Training.Objectives;
using static TorchSharp.torch;

namespace VisionLab.Tests.Training;

public class DistillationTests
{
    [Fact]
    public void The_soft_target_loss_is_the_batch_mean_kl_divergence_of_softened_outputs()
    {
        manual_seed(1);
        using var student = randn(8, 10);
        using var teacher = randn(8, 10) * 3;
        const double t = 4;
        using var ours = Distillation.SoftTargetLoss(student, teacher, t);
        using var reference = nn.functional.kl_div(nn.functional.log_softmax(student / t, 1), nn.functional.softmax(teacher / t, 1),
            reduction: nn.Reduction.Sum, log_target: false) / 8;
        Assert.Equal(reference.item<float>(), ours.item<float>(), 5);
        using var same = Distillation.SoftTargetLoss(teacher, teacher, t);
        Assert.Equal(0f, same.item<float>(), 6);
    }

    [Fact]
    public void A_student_learns_the_teachers_function_even_from_scrambled_labels()
    {
        // Two folders of the same 4,000 Fashion-MNIST images: one with the true labels, one whose
        // training labels are scrambled (test labels true in both). A student taught only by the
        // teacher's soft targets learns the task; one that trusts the scrambled labels cannot.
        using var dir = new TempFolder();
        var fashion = FashionMnist.Full.Subset(4_000, 1_000);
        WriteFolder(dir.File("true"), fashion, scramble: false);
        WriteFolder(dir.File("scrambled"), fashion, scramble: true);
        var common = new TrainingConfig { Model = "lenet5", Epochs = 3, BatchSize = 64, Seed = 3 };

        var teacher = TrainingJob.Run(common with { Data = dir.File("true"), Out = dir.File("teacher") }, []);
        // The students learn at a lower rate than LeNet's default: at T = 4 the soft term's gradients
        // are up to four times the hard term's, and 0.05 with momentum makes a student diverge.
        common = common with { Optimizer = new() { Lr = 0.01 } };
        var student = TrainingJob.Run(common with
        {
            Data = dir.File("scrambled"), Out = dir.File("student"), Seed = 4,
            Teacher = Path.Combine(teacher.Run.Root, "checkpoints", "best.ckpt"), DistillWeight = 1.0,
        }, []);
        var alone = TrainingJob.Run(common with { Data = dir.File("scrambled"), Out = dir.File("alone"), Seed = 4 }, []);

        Assert.True(teacher.Metrics.TestAccuracy > 0.7, $"teacher {teacher.Metrics.TestAccuracy}");
        Assert.True(student.Metrics.TestAccuracy > teacher.Metrics.TestAccuracy - 0.1,
            $"student {student.Metrics.TestAccuracy}, teacher {teacher.Metrics.TestAccuracy}; student train losses " +
            string.Join(", ", student.Metrics.History.Select(h => $"{h.TrainLoss:F3}/{h.TestLoss:F3}")));
        Assert.True(alone.Metrics.TestAccuracy < 0.3, $"without a teacher {alone.Metrics.TestAccuracy}");
    }

    [Fact]
    public void A_teacher_that_sees_other_inputs_is_refused_before_the_run_starts()
    {
        using var dir = new TempFolder();
        IdxWriter.WriteDataFolder(dir.File("three"), count: 200, classes: 3);
        IdxWriter.WriteDataFolder(dir.File("ten"), count: 200, classes: 10);
        var teacher = TrainingJob.Run(new TrainingConfig { Model = "lenet5", Data = dir.File("three"), Epochs = 1, Out = dir.File("teacher") }, []);
        var e = Assert.Throws<VisionLabException>(() => TrainingJob.Run(new TrainingConfig
        {
            Model = "lenet5", Data = dir.File("ten"), Epochs = 1, Out = dir.File("student"),
            Teacher = Path.Combine(teacher.Run.Root, "checkpoints", "best.ckpt"),
        }, []));
        Assert.Contains("normalises its inputs differently", e.Message);
        Assert.False(Directory.Exists(dir.File("student")));
    }

    private static void WriteFolder(string folder, ImageClassificationData data, bool scramble)
    {
        Directory.CreateDirectory(folder);
        foreach (var (split, set) in new[] { ("train", data.Train), ("t10k", data.Test) })
        {
            var shape = set.ImageShape;
            var images = new byte[set.Count * shape.Elements];
            var labels = new byte[set.Count];
            for (int i = 0; i < set.Count; i++)
            {
                set.CopyImage(i, images.AsSpan(i * shape.Elements, shape.Elements));
                labels[i] = (byte)set.LabelOf(i);
            }
            if (scramble && split == "train") new Random(11).Shuffle(labels);
            File.WriteAllBytes(Path.Combine(folder, $"{split}-images-idx3-ubyte"), IdxWriter.Encode([set.Count, shape.Height, shape.Width], images));
            File.WriteAllBytes(Path.Combine(folder, $"{split}-labels-idx1-ubyte"), IdxWriter.Encode([set.Count], labels));
        }
    }
}
