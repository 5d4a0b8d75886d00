using VisionLab.Data.Transforms.Images;
using VisionLab.Tests.Support;

namespace VisionLab.Tests.Data.Transforms.Images;

public class PresetParityTests
{
    [Theory]
    [InlineData(224, 320, 240)]
    [InlineData(160, 150, 333)]
    public void Eval_preset_matches_torchvision_resize_center_crop_to_tensor_normalize(int size, int width, int height)
    {
        using var reference = new PilReference([new PatternImage("photo", width, height)],
            [new PilCase("eval", "photo", "eval_preset", new { size })]);
        using var photo = reference.Image("photo");
        var pipeline = ImageTransforms.Eval(size);
        var actual = new float[pipeline.OutputShape.Elements];
        pipeline.Apply(photo, new Random(0), actual);
        Assert.Equal(reference.FloatResult("eval"), actual);
    }
}
