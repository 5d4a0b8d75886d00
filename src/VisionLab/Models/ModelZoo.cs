using System.Reflection;
using VisionLab.Data;

namespace VisionLab.Models;

/// <summary>
/// How to build a model: the head's width, the input's channels, and — for the networks that
/// have them (GoogLeNet, Inception v3) — whether to build the auxiliary classifiers that add
/// losses in training mode (torchvision's <c>aux_logits</c>, on by default as in its builders).
/// <para>
/// <c>SmallInput</c> adapts a network designed for 224-pixel images to images of 28–64 pixels:
/// its stem downsamples by 2 instead of 4, so a 28-pixel image still has 2×2 maps, not 1×1, at the
/// end. ResNet and ShuffleNet V2 skip the stem's max pool, MobileNet V2 and V3 the first
/// convolution's stride — as people do by hand for CIFAR. Parameters, names and weights are the
/// same; only families that implement <see cref="IAdaptsToSmallInput"/> accept it.
/// </para>
/// </summary>
public sealed record ModelOptions(int NumClasses = 1000, int InChannels = 3, bool AuxLogits = true, bool SmallInput = false);

/// <summary>A family whose stem <see cref="ModelOptions.SmallInput"/> adapts.</summary>
public interface IAdaptsToSmallInput;

/// <summary>
/// Marks a static builder <c>ImageClassifier Name(ModelOptions)</c> as a zoo entry, next to the code
/// it builds, as torchvision's <c>@register_model</c> does.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ZooModelAttribute(string name) : Attribute
{
    public string Name { get; } = name;
    public required string Family { get; init; }
    public required string Paper { get; init; }
    /// <summary>Input the architecture was designed for, as CxHxW.</summary>
    public required string Input { get; init; }
    /// <summary>Classes of the head the reference figures are for (ImageNet's 1000 by default).</summary>
    public int Classes { get; init; } = 1000;
    /// <summary>Parameter count with that head and the default input's channels (torchvision's
    /// figure where torchvision has the model); tests hold the code to it.</summary>
    public long Parameters { get; init; }
    /// <summary>Multiply-adds of convolutions, fully connected layers and attention products for one
    /// image of the default input, with the reference head (the convention of torchvision's published
    /// operation counts); tests hold the code to it.</summary>
    public long Macs { get; init; }
}

public sealed record ModelInfo(string Name, string Family, string Paper, ImageShape DefaultInput,
    int ReferenceClasses, long ReferenceParameters, long ReferenceMacs, bool AdaptsToSmallInput, Func<ModelOptions, ImageClassifier> Build)
{
    /// <summary>Options that give the reference architecture (default input channels, reference head).</summary>
    public ModelOptions ReferenceOptions => new(ReferenceClasses, DefaultInput.Channels);
}

/// <summary>The registry of models by name.</summary>
public static class ModelZoo
{
    private static readonly Lazy<IReadOnlyDictionary<string, ModelInfo>> Registry = new(Discover);

    public static IReadOnlyCollection<ModelInfo> All => Registry.Value.Values.OrderBy(m => m.Family).ThenBy(m => m.ReferenceParameters).ToArray();

    public static ModelInfo Find(string name)
    {
        if (Registry.Value.TryGetValue(name.ToLowerInvariant(), out var info)) return info;
        var close = Registry.Value.Keys.OrderBy(k => EditDistance(k, name.ToLowerInvariant())).First();
        throw new VisionLabException(
            $"unknown model '{name}' (did you mean '{close}'? 'visionlab models' lists all {Registry.Value.Count})");
    }

    public static ImageClassifier Create(string name, ModelOptions options)
    {
        if (options.NumClasses < 1) throw new VisionLabException($"num_classes {options.NumClasses} must be at least 1");
        if (options.InChannels < 1) throw new VisionLabException($"in_channels {options.InChannels} must be at least 1");
        var info = Find(name);
        if (options.SmallInput) RequireSmallInputStem(info);
        Runtime.TorchRuntime.EnsureInitialized();
        return info.Build(options);
    }

    public static void RequireSmallInputStem(ModelInfo info)
    {
        if (!info.AdaptsToSmallInput)
            throw new VisionLabException($"model {info.Name} has no small-input stem (families that have one: " +
                                         $"{string.Join(", ", All.Where(m => m.AdaptsToSmallInput).Select(m => m.Family).Distinct())}); use --image-size instead");
    }

    private static IReadOnlyDictionary<string, ModelInfo> Discover()
    {
        var found = new Dictionary<string, ModelInfo>();
        var builders = typeof(ModelZoo).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Select(m => (Method: m, Entry: m.GetCustomAttribute<ZooModelAttribute>()))
            .Where(b => b.Entry is not null);
        foreach (var (method, entry) in builders)
        {
            var build = method.CreateDelegate<Func<ModelOptions, ImageClassifier>>();
            if (!found.TryAdd(entry!.Name, new ModelInfo(entry.Name, entry.Family, entry.Paper, ImageShape.Parse(entry.Input), entry.Classes, entry.Parameters, entry.Macs,
                    typeof(IAdaptsToSmallInput).IsAssignableFrom(method.DeclaringType), build)))
                throw new InvalidOperationException($"two zoo models are named '{entry.Name}'");
        }
        return found;
    }

    private static int EditDistance(string a, string b)
    {
        var d = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) d[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = d[0];
            d[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = d[j];
                d[j] = Math.Min(Math.Min(d[j] + 1, d[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return d[b.Length];
    }
}
