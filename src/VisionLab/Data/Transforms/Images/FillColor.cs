namespace VisionLab.Data.Transforms.Images;

/// <summary>torchvision's <c>fill</c> argument: one value for every channel, or one per channel.</summary>
internal static class FillColor
{
    public static byte[] For(byte[] fill, int channels)
    {
        if (fill.Length == channels) return fill;
        if (fill.Length == 1) return Enumerable.Repeat(fill[0], channels).ToArray();
        throw new VisionLabException($"fill has {fill.Length} values for an image of {channels} channels; give one, or one per channel");
    }
}
