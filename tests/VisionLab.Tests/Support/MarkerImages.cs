using SkiaSharp;

namespace VisionLab.Tests.Support;

/// <summary>A generated image and where its class's marker is, in the file's pixel coordinates.</summary>
public sealed record MarkerImage(string Path, int Label, SKRectI Box);

/// <summary>
/// A generated image-folder data set in which one small region alone decides the class: each
/// image has one marker — a red plus, a green ring or a blue triangle — at a random place over
/// clutter (grey-toned rectangles, ellipses and bars, drawn from the same distribution for every
/// class) on a plain muted background. Nothing outside the marker's box says anything about the
/// class, so a faithful explanation must point inside it: the pointing game of Zhang et al.
/// ("Top-down Neural Attention by Excitation Backprop", ECCV 2016) with a known answer.
/// </summary>
public static class MarkerImages
{
    public static readonly string[] Classes = ["blue_triangle", "green_ring", "red_plus"];

    /// <summary>
    /// Writes <paramref name="perClass"/> PNGs per class into <paramref name="root"/>/&lt;class&gt;/ and
    /// returns them with their markers' boxes. Markers are <paramref name="markerSize"/> pixels
    /// across and keep <paramref name="margin"/> pixels from every edge (so a centre crop that
    /// trims less than that keeps them whole).
    /// </summary>
    public static IReadOnlyList<MarkerImage> Write(string root, int perClass, int size, int markerSize, int margin, int seed)
    {
        if (size - 2 * margin < markerSize) throw new ArgumentException($"a {markerSize}-pixel marker does not fit a {size}-pixel image with margins of {margin}");
        var random = new Random(seed);
        var written = new List<MarkerImage>();
        for (int i = 0; i < perClass; i++)
        {
            for (int label = 0; label < Classes.Length; label++)
            {
                string folder = System.IO.Path.Combine(root, Classes[label]);
                Directory.CreateDirectory(folder);
                using var bitmap = new SKBitmap(size, size);
                SKRectI box;
                using (var canvas = new SKCanvas(bitmap))
                {
                    canvas.Clear(Muted(random, 70, 170));
                    for (int s = 0, shapes = random.Next(4, 8); s < shapes; s++) DrawClutter(canvas, random, size);
                    int x = random.Next(margin, size - margin - markerSize + 1), y = random.Next(margin, size - margin - markerSize + 1);
                    box = new SKRectI(x, y, x + markerSize, y + markerSize);
                    DrawMarker(canvas, label, box, random);
                }
                string path = System.IO.Path.Combine(folder, $"{Classes[label]}_{i:D3}.png");
                using (var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)) File.WriteAllBytes(path, data.ToArray());
                written.Add(new MarkerImage(path, label, box));
            }
        }
        return written;
    }

    private static void DrawMarker(SKCanvas canvas, int label, SKRectI box, Random random)
    {
        float s = box.Width, left = box.Left, top = box.Top, cx = left + s / 2, cy = top + s / 2;
        int Jitter(int value) => Math.Clamp(value + random.Next(-25, 26), 0, 255);
        using var paint = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
        switch (Classes[label])
        {
            case "blue_triangle":
                paint.Color = new SKColor((byte)Jitter(40), (byte)Jitter(70), (byte)Jitter(230));
                using (var path = new SKPath())
                {
                    path.MoveTo(cx, top);
                    path.LineTo(left + s, top + s);
                    path.LineTo(left, top + s);
                    path.Close();
                    canvas.DrawPath(path, paint);
                }
                break;
            case "green_ring":
                paint.Color = new SKColor((byte)Jitter(40), (byte)Jitter(210), (byte)Jitter(60));
                paint.Style = SKPaintStyle.Stroke;
                paint.StrokeWidth = s / 4;
                canvas.DrawCircle(cx, cy, s / 2 - s / 8, paint);
                break;
            default:
                paint.Color = new SKColor((byte)Jitter(225), (byte)Jitter(40), (byte)Jitter(40));
                canvas.DrawRect(left, cy - s / 6, s, s / 3, paint);
                canvas.DrawRect(cx - s / 6, top, s / 3, s, paint);
                break;
        }
    }

    /// <summary>A grey-toned rectangle, ellipse or bar somewhere, possibly over the edge.</summary>
    private static void DrawClutter(SKCanvas canvas, Random random, int size)
    {
        float w = size * (0.08f + 0.25f * random.NextSingle()), h = size * (0.08f + 0.25f * random.NextSingle());
        float x = random.NextSingle() * size - w / 2, y = random.NextSingle() * size - h / 2;
        using var paint = new SKPaint { Color = Muted(random, 30, 230), IsAntialias = true, Style = SKPaintStyle.Fill };
        switch (random.Next(3))
        {
            case 0:
                canvas.DrawRect(x, y, w, h, paint);
                break;
            case 1:
                canvas.DrawOval(new SKRect(x, y, x + w, y + h), paint);
                break;
            default:
                paint.StrokeWidth = 2 + random.Next(3);
                canvas.DrawLine(x, y, x + w, y + h, paint);
                break;
        }
    }

    /// <summary>A grey of brightness in [low, high) with a faint tint, far from the markers' saturated colours.</summary>
    private static SKColor Muted(Random random, int low, int high)
    {
        int grey = random.Next(low, high);
        byte Channel() => (byte)Math.Clamp(grey + random.Next(-20, 21), 0, 255);
        return new SKColor(Channel(), Channel(), Channel());
    }
}
