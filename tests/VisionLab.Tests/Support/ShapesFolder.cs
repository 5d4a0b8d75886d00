using SkiaSharp;

namespace VisionLab.Tests.Support;

/// <summary>
/// A generated image-folder data set whose class is the kind of shape drawn — circles, squares,
/// triangles or crosses — several of them per image at random places, sizes and colours over a
/// noisy background, so no single pixel, colour or position gives the class away.
/// </summary>
public static class ShapesFolder
{
    public static readonly string[] Classes = ["circles", "crosses", "squares", "triangles"];

    public static void Write(string root, int perClass, int size, int seed)
    {
        var random = new Random(seed);
        foreach (string kind in Classes)
        {
            Directory.CreateDirectory(Path.Combine(root, kind));
            for (int i = 0; i < perClass; i++)
            {
                using var bitmap = new SKBitmap(size, size);
                using (var canvas = new SKCanvas(bitmap))
                {
                    canvas.Clear(RandomColour(random, 40, 120));
                    for (int s = 0, shapes = random.Next(2, 5); s < shapes; s++)
                        Draw(canvas, kind, random, size);
                }
                using var data = bitmap.Encode(i % 2 == 0 ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg, 92);
                File.WriteAllBytes(Path.Combine(root, kind, $"{kind}_{i:D3}.{(i % 2 == 0 ? "png" : "jpg")}"), data.ToArray());
            }
        }
    }

    private static void Draw(SKCanvas canvas, string kind, Random random, int size)
    {
        float r = size * (0.16f + 0.1f * random.NextSingle());
        float x = r + random.NextSingle() * (size - 2 * r), y = r + random.NextSingle() * (size - 2 * r);
        using var paint = new SKPaint { Color = RandomColour(random, 150, 255), IsAntialias = true, Style = SKPaintStyle.Fill };
        switch (kind)
        {
            case "circles":
                canvas.DrawCircle(x, y, r, paint);
                break;
            case "squares":
                canvas.DrawRect(x - r, y - r, 2 * r, 2 * r, paint);
                break;
            case "triangles":
                using (var path = new SKPath())
                {
                    path.MoveTo(x, y - r);
                    path.LineTo(x + r, y + r);
                    path.LineTo(x - r, y + r);
                    path.Close();
                    canvas.DrawPath(path, paint);
                }
                break;
            default:
                canvas.DrawRect(x - r, y - r / 3, 2 * r, 2 * r / 3, paint);
                canvas.DrawRect(x - r / 3, y - r, 2 * r / 3, 2 * r, paint);
                break;
        }
    }

    private static SKColor RandomColour(Random random, int low, int high) =>
        new((byte)random.Next(low, high), (byte)random.Next(low, high), (byte)random.Next(low, high));
}
