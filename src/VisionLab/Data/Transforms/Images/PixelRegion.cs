namespace VisionLab.Data.Transforms.Images;

/// <summary>A rectangle of pixels: <see cref="Top"/> and <see cref="Left"/> of its first pixel, then its size (torchvision's i, j, h, w).</summary>
public readonly record struct PixelRegion(int Top, int Left, int Height, int Width)
{
    public int Bottom => Top + Height;
    public int Right => Left + Width;

    public bool LiesWithin(int width, int height) => Top >= 0 && Left >= 0 && Bottom <= height && Right <= width && Width > 0 && Height > 0;

    public override string ToString() => $"{Width}x{Height} at ({Left}, {Top})";
}
