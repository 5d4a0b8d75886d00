namespace VisionLab.Explain;

/// <summary>The explanation methods by command-line name.</summary>
public static class ExplanationMethods
{
    private static readonly IReadOnlyList<Func<IExplanationMethod>> Factories =
    [
        () => new GradCam(), () => new GradCamPlusPlus(), () => new XGradCam(), () => new HiResCam(), () => new LayerCam(),
        () => new ScoreCam(), () => new AblationCam(), () => new EigenCam(),
        () => new Saliency(), () => new SmoothGrad(), () => new IntegratedGradients(), () => new GuidedBackpropagation(),
        () => new Occlusion(),
    ];

    public static IReadOnlyList<IExplanationMethod> All => Factories.Select(f => f()).ToList();

    public static IReadOnlyList<string> Names => All.Select(m => m.Name).ToList();

    public static IExplanationMethod Find(string name)
    {
        var found = All.FirstOrDefault(m => string.Equals(m.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));
        return found ?? throw new VisionLabException($"unknown explanation method '{name}' (choose from {string.Join(", ", Names)})");
    }

    /// <summary>A comma-separated list of names, in order, each once.</summary>
    public static IReadOnlyList<IExplanationMethod> Parse(string names)
    {
        var methods = names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(Find)
            .DistinctBy(m => m.Name).ToList();
        return methods.Count > 0 ? methods : throw new VisionLabException("give at least one explanation method");
    }
}
