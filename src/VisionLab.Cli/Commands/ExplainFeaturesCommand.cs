using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VisionLab.Cli.Rendering;
using VisionLab.Data.Images;
using VisionLab.Explain;
using VisionLab.Models.Weights;
using VisionLab.Runs;
using VisionLab.Runtime;
using static TorchSharp.torch;

namespace VisionLab.Cli.Commands;

public sealed class ExplainFeaturesSettings : ModelSourceSettings
{
    [CommandArgument(0, "[IMAGE]")]
    [Description("Image file whose feature maps to show (PNG, JPEG, BMP, WebP or GIF); without it only the filters are drawn.")]
    public string? Image { get; init; }

    [CommandOption("--layer <NAME>")]
    [Description("Layer whose maps to show, by state-dict name (layer3, features.denseblock2); default: the layer Grad-CAM uses.")]
    public string? Layer { get; init; }

    [CommandOption("--count <N>")]
    [Description("Feature maps shown.")]
    [DefaultValue(16)]
    public int Count { get; init; } = 16;

    [CommandOption("--order <ORDER>")]
    [Description("Which channels: 'active' (largest mean activation first) or 'first' (channel 0 on).")]
    [DefaultValue("active")]
    public string Order { get; init; } = "active";

    [CommandOption("--filters <N>")]
    [Description("First-convolution filters (or filter channels, for grey inputs) shown.")]
    [DefaultValue(64)]
    public int Filters { get; init; } = 64;

    [CommandOption("-o|--out <DIR>")]
    [Description("Folder to write features.png (with an image) and filters.png into.")]
    public string Out { get; init; } = "";

    public ChannelChoice Choice => Order.Trim().ToLowerInvariant() switch
    {
        "active" => ChannelChoice.MostActive,
        "first" => ChannelChoice.First,
        _ => throw new VisionLabException($"--order '{Order}': choose 'active' or 'first'"),
    };

    public override ValidationResult Validate() =>
        base.Validate() is { Successful: false } source ? source
        : Out == "" ? ValidationResult.Error("--out is required")
        : Count < 1 ? ValidationResult.Error($"--count {Count} must be at least 1")
        : Filters < 1 ? ValidationResult.Error($"--filters {Filters} must be at least 1")
        : Order.Trim().ToLowerInvariant() is not ("active" or "first") ? ValidationResult.Error($"--order '{Order}': choose 'active' or 'first'")
        : ValidationResult.Success();
}

/// <summary>
/// <c>visionlab explain-features</c>: what a layer computes for an image (its feature maps) and what
/// the first convolution looks for (its filters), as PNG grids.
/// </summary>
public sealed class ExplainFeaturesCommand : Command<ExplainFeaturesSettings>
{
    public override int Execute(CommandContext context, ExplainFeaturesSettings s, CancellationToken cancellation)
    {
        var (_, name, model, transform, _) = s.LoadModel(out var device);
        using (model)
        {
            Directory.CreateDirectory(s.Out);
            string? featuresPng = null;
            string layer = s.Layer ?? model.DefaultExplainLayer ?? "features";
            int[] channels = [];
            if (s.Image is not null)
            {
                featuresPng = Path.Combine(s.Out, "features.png");
                float[] input;
                ByteImage picture;
                using (var decoded = ImageDecoder.Default.Decode(s.Image, transform.Channels))
                    input = transform.Pipeline().ApplyKeepingPicture(decoded, new Random(0), out picture);
                using (picture)
                using (var scope = NewDisposeScope())
                {
                    var batch = tensor(input, [1, transform.Channels, transform.Height, transform.Width]).to(device);
                    var cells = FeatureVisualization.FeatureMaps(model, batch, s.Layer, s.Count, s.Choice);
                    channels = cells.Select(c => c.Index).ToArray();
                    string which = s.Choice == ChannelChoice.First ? "first" : "most active";
                    string title = $"{name} {layer}, {cells.Count} {which}";
                    AtomicFile.WriteAllBytes(featuresPng, FeatureVisualization.RenderPng(cells, title, picture));
                }
            }
            string filtersPng = Path.Combine(s.Out, "filters.png");
            var filters = FeatureVisualization.FirstConvolutionFilters(model, s.Filters);
            string convolution = FeatureVisualization.FirstConvolutionName(model);
            AtomicFile.WriteAllBytes(filtersPng, FeatureVisualization.RenderPng(filters,
                $"{name} {convolution}: {filters[0].Width / filters[0].Scale}×{filters[0].Height / filters[0].Scale} filters"));

            if (s.Json)
            {
                JsonOutput.Write(new
                {
                    model = name, layer = s.Image is null ? null : layer, channels, features = featuresPng is null ? null : Path.GetFullPath(featuresPng),
                    first_convolution = convolution, filters = Path.GetFullPath(filtersPng),
                });
                return 0;
            }
            if (featuresPng is not null)
                AnsiConsole.MarkupLine($"Feature maps of {Markup.Escape(layer)} (channels {string.Join(", ", channels)}): [link]{Markup.Escape(Path.GetFullPath(featuresPng))}[/]");
            AnsiConsole.MarkupLine($"Filters of {Markup.Escape(convolution)}: [link]{Markup.Escape(Path.GetFullPath(filtersPng))}[/]");
            return 0;
        }
    }
}
