using SkiaSharp;

namespace VisionLab.Reporting;

/// <summary>
/// Finds a font for charts. The SkiaSharp build we ship on Linux has no fontconfig, so its default
/// typeface draws nothing; we load a TrueType file from the usual system places instead.
/// </summary>
public static class Typefaces
{
    private static readonly string[] Candidates =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "/System/Library/Fonts/Supplemental/Arial.ttf",
        "/Library/Fonts/Arial.ttf",
        @"C:\Windows\Fonts\arial.ttf",
        @"C:\Windows\Fonts\segoeui.ttf",
    ];

    private static readonly Lazy<(SKTypeface Typeface, string? Path)> Found = new(() =>
    {
        foreach (string path in Candidates.Where(File.Exists))
        {
            var typeface = SKTypeface.FromFile(path);
            if (typeface is not null && typeface.GlyphCount > 0)
            {
                ScottPlot.Fonts.AddFontFile(ChartFontName, path);
                ScottPlot.Fonts.Default = ChartFontName;
                return (typeface, path);
            }
        }
        return (SKTypeface.Default, null);
    });

    internal const string ChartFontName = "VisionLab Sans";

    /// <summary>The chart typeface; <see cref="SKTypeface.Default"/> if no font file was found.</summary>
    public static SKTypeface Sans => Found.Value.Typeface;

    /// <summary>True when a font was found, so charts will have readable labels (Debian: fonts-dejavu-core).</summary>
    public static bool HasText => Found.Value.Path is not null;

    /// <summary>Registers the font with ScottPlot before a chart is drawn.</summary>
    public static void EnsureRegistered() => _ = Found.Value;
}
