using VisionLab.Data.Images;
using VisionLab.Data.Transforms;
using VisionLab.Models;
using static TorchSharp.torch;

namespace VisionLab.Inference;

public sealed record ClassProbability(string Class, int Index, double Probability);

public sealed record Prediction(string Image, IReadOnlyList<ClassProbability> Top);

/// <summary>Classifies image files with a trained model, preparing them with the model's own eval transform.</summary>
public sealed class Predictor(ImageClassifier model, EvalTransform transform, IReadOnlyList<string> classes, Device? device = null)
{
    private readonly Normalize normalize = transform.Normalize();
    private readonly Device device = device ?? CPU;

    public Prediction Predict(string imagePath, int topK)
    {
        if (topK < 1) throw new VisionLabException($"--top {topK} must be at least 1");
        byte[] pixels = ImageFile.Load(imagePath, transform.Input);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        model.eval();
        var bytes = tensor(pixels, [1, transform.Channels, transform.Height, transform.Width]);
        var probabilities = nn.functional.softmax(model.call(normalize.Apply(bytes).to(device)), 1)[0].cpu();
        var (values, indices) = probabilities.topk(Math.Min(topK, classes.Count));
        var p = values.data<float>().ToArray();
        var k = indices.data<long>().ToArray();
        return new Prediction(imagePath, k.Select((index, i) => new ClassProbability(classes[(int)index], (int)index, p[i])).ToArray());
    }
}
