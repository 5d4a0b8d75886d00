using VisionLab.Data.Images;
using VisionLab.Data.Transforms;
using VisionLab.Data.Transforms.Images;
using VisionLab.Models;
using static TorchSharp.torch;

namespace VisionLab.Inference;

public sealed record ClassProbability(string Class, int Index, double Probability);

/// <param name="TestTimeAugmentation">How the model scored the image besides as it is ("hflip": with its mirror), or null.</param>
public sealed record Prediction(string Image, IReadOnlyList<ClassProbability> Top, string? TestTimeAugmentation = null);

/// <summary>
/// Classifies image files with a trained model, preparing them with the model's own eval transform;
/// with <paramref name="mirrorAveraged"/>, each image's probabilities averaged with its mirror's.
/// </summary>
public sealed class Predictor(ImageClassifier model, EvalTransform transform, IReadOnlyList<string> classes, Device? device = null,
                              bool mirrorAveraged = false)
{
    private readonly nn.Module<Tensor, Tensor> scorer = MirrorAveraged.Scoring(model, mirrorAveraged);
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
        scorer.eval();
        var batch = tensor(input, [1, transform.Channels, transform.Height, transform.Width]).to(device);
        var probabilities = nn.functional.softmax(scorer.call(batch), 1)[0].cpu();
        var (values, indices) = probabilities.topk(Math.Min(topK, classes.Count));
        var p = values.data<float>().ToArray();
        var k = indices.data<long>().ToArray();
        return new Prediction(imagePath, k.Select((index, i) => new ClassProbability(classes[(int)index], (int)index, p[i])).ToArray(),
                              mirrorAveraged ? MirrorAveraged.Name : null);
    }
}
