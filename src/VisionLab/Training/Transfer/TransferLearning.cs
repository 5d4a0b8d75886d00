using TorchSharp;
using TorchSharp.Modules;
using VisionLab.Models;
using static TorchSharp.torch;

namespace VisionLab.Training.Transfer;

/// <summary>
/// The seam between a pretrained backbone and a new head, for every zoo family.
/// <para>
/// The head is the layer that produces the class logits: the module owning the model's last
/// parameter, in registration order — <c>fc</c> (ResNet, RegNet, GoogLeNet, Inception v3,
/// ShuffleNet), <c>classifier.N</c> (VGG, AlexNet, DenseNet, EfficientNet, MobileNet, MNASNet,
/// ConvNeXt; a 1×1 convolution in SqueezeNet), <c>heads.head</c> (ViT), <c>head</c> (Swin),
/// <c>fc3</c> (LeNet-5) — plus the last layer of each auxiliary classifier (GoogLeNet's
/// <c>aux1.fc2</c> and <c>aux2.fc2</c>, Inception v3's <c>AuxLogits.fc</c>). These are exactly the
/// layers <see cref="ImageClassifier.ResetClassifier"/> replaces; the tests hold every family to it.
/// </para>
/// </summary>
public static class TransferLearning
{
    /// <summary>Names of the head's parameters, in the model's parameter order.</summary>
    public static IReadOnlyList<string> HeadParameterNames(ImageClassifier model)
    {
        var modules = model.named_modules().Where(m => m.name.Length > 0).ToDictionary(m => m.name, m => m.module);
        var auxiliary = modules.Where(m => m.Value is AuxiliaryClassifier).Select(m => m.Key + ".").ToList();
        var parameters = model.named_parameters().Select(p => p.name).ToList();
        // The main head is the last parameter's layer once the side heads are set aside, wherever they are registered.
        var owners = new List<string> { HeadLayer(model, parameters.Where(n => !auxiliary.Any(a => n.StartsWith(a, StringComparison.Ordinal))), modules) };
        foreach (string prefix in auxiliary)
            owners.Add(HeadLayer(model, parameters.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)), modules));
        var prefixes = owners.Select(o => o + ".").ToList();
        return parameters
            .Where(n => prefixes.Any(prefix => n.StartsWith(prefix, StringComparison.Ordinal) && !n[prefix.Length..].Contains('.')))
            .ToList();
    }

    /// <summary>Names of every parameter outside the head.</summary>
    public static IReadOnlyList<string> BackboneParameterNames(ImageClassifier model)
    {
        var head = HeadParameterNames(model).ToHashSet();
        return model.named_parameters().Select(p => p.name).Where(n => !head.Contains(n)).ToList();
    }

    /// <summary>
    /// Gives the model a freshly initialised head for <paramref name="numClasses"/> classes,
    /// keeping every backbone weight, and returns the new head's parameter names. Do it before
    /// packing the parameters for the optimiser (<c>FlatParameters</c>).
    /// </summary>
    public static IReadOnlyList<string> ReplaceHead(ImageClassifier model, int numClasses)
    {
        if (numClasses < 1) throw new VisionLabException($"a head needs at least one class, not {numClasses}");
        model.ResetClassifier(numClasses);
        return HeadParameterNames(model);
    }

    /// <summary>
    /// Loads pretrained <paramref name="weights"/> — a checkpoint's or torchvision's, for any number
    /// of classes — into every tensor of <paramref name="model"/> but its head, which keeps its own
    /// (fresh) values. Strict elsewhere: a backbone tensor missing, extra or of another shape is
    /// reported, with nothing copied. Returns the head tensors left as they were.
    /// </summary>
    public static IReadOnlyList<string> LoadAllButHead(ImageClassifier model, IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        var head = HeadParameterNames(model).ToHashSet();
        StateDict.LoadStrict(model, weights, source, except: head);
        return model.state_dict().Keys.Where(head.Contains).ToList();
    }

    /// <summary>The layer owning the last of <paramref name="parameterNames"/>, checked to be a classifier layer for the model's classes.</summary>
    private static string HeadLayer(ImageClassifier model, IEnumerable<string> parameterNames, IReadOnlyDictionary<string, nn.Module> modules)
    {
        string? last = parameterNames.LastOrDefault();
        string owner = last is null ? "" : last[..Math.Max(0, last.LastIndexOf('.'))];
        if (last is null || owner.Length == 0 || !modules.TryGetValue(owner, out var layer))
            throw new VisionLabException($"cannot tell the head of {model.GetName()}: its last parameter '{last}' belongs to no layer");
        long outputs = layer switch
        {
            Linear linear => linear.out_features,
            Conv2d conv => conv.out_channels,
            _ => -1,
        };
        if (outputs != model.NumClasses)
            throw new VisionLabException(
                $"cannot tell the head of {model.GetName()}: its last layer '{owner}' is a {layer.GetType().Name}" +
                (outputs < 0 ? "" : $" with {outputs} outputs") + $", not a classifier for its {model.NumClasses} classes");
        return owner;
    }
}
