using static TorchSharp.torch;

namespace VisionLab.Models;

/// <summary>
/// Reads the outputs of named layers during a forward pass — the seam Grad-CAM, feature-map
/// visualisation and detection backbones use. Layers are named as in the state dict
/// (<c>layer4</c>, <c>layer4.1.conv2</c>, <c>features.denseblock4</c>).
/// </summary>
public static class FeatureExtractor
{
    /// <summary>The names of every layer a hook can be set on (those called as modules).</summary>
    public static IReadOnlyList<string> LayerNames(nn.Module model) =>
        model.named_modules().Where(m => m.name.Length > 0 && m.module is nn.Module<Tensor, Tensor>).Select(m => m.name).ToList();

    /// <summary>The layer called <paramref name="name"/>; an unknown name lists the nearest valid ones.</summary>
    public static nn.Module<Tensor, Tensor> Layer(nn.Module model, string name)
    {
        foreach (var (path, module) in model.named_modules())
        {
            if (path == name && module is nn.Module<Tensor, Tensor> layer) return layer;
        }
        var names = LayerNames(model);
        var near = names.Where(n => n.StartsWith(name.Split('.')[0], StringComparison.Ordinal)).Take(12).ToList();
        var shown = near.Count > 0 ? near : names.Where(n => !n.Contains('.')).ToList();
        throw new VisionLabException($"{model.GetName()} has no layer '{name}'; layers include: {string.Join(", ", shown)}" +
                                     (names.Count > shown.Count ? $" ({names.Count} in all)" : ""));
    }

    /// <summary>
    /// Runs <paramref name="model"/> on <paramref name="images"/> and returns its output together with
    /// the outputs of the named layers. The captured tensors belong to the caller (dispose them).
    /// </summary>
    public static (Tensor Output, Dictionary<string, Tensor> Features) Run(nn.Module<Tensor, Tensor> model, Tensor images,
        params string[] layerNames)
    {
        var captured = new Dictionary<string, Tensor>();
        var removers = new List<Action>();
        try
        {
            foreach (string name in layerNames)
            {
                var hook = Layer(model, name).register_forward_hook((_, _, output) =>
                {
                    captured[name] = output.alias().DetachFromDisposeScope();
                    return output;
                });
                removers.Add(hook.remove);
            }
            var result = model.call(images);
            return (result, captured);
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
    }
}
