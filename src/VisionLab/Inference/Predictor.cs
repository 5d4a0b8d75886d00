using VisionLab.Data.Images;
using VisionLab.Data.Transforms;
using VisionLab.Data.Transforms.Images;
using VisionLab.Models;
using static TorchSharp.torch;

namespace VisionLab.Inference;

public sealed record ClassProbability(string Class, int Index, double Probability);

public sealed record Prediction(string Image, IReadOnlyList<ClassProbability> Top);

/// <summary>Classifies image files with a trained model, preparing them with the model's own eval transform.</summary>
public sealed class Predictor(ImageClassifier model, EvalTransform transform, IReadOnlyList<string> classes, Device? device = null)
{
    private readonly ImagePipeline pipeline = transform.Pipeline();
    private readonly Device device = device ?? CPU;

    public Prediction Predict(string imagePath, int topK)
    {
        if (topK < 1) throw new VisionLabException($"--top {topK} must be at least 1");
        float[] input;
        using (var image = ImageDecoder.Default.Decode(imagePath, transform.Channels))
            input = pipeline.Apply(image, Random.Shared, out _);
        using var gradients = no_grad();
        using var scope = NewDisposeScope();
        model.eval();
        var batch = tensor(input, [1, transform.Channels, transform.Height, transform.Width]).to(device);
        var probabilities = nn.functional.softmax(model.call(batch), 1)[0].cpu();
        var (values, indices) = probabilities.topk(Math.Min(topK, classes.Count));
        var p = values.data<float>().ToArray();
        var k = indices.data<long>().ToArray();
        return new Prediction(imagePath, k.Select((index, i) => new ClassProbability(classes[(int)index], (int)index, p[i])).ToArray());
    }
}
