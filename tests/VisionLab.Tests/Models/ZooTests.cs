using VisionLab.Models;

namespace VisionLab.Tests.Models;

public class ZooTests
{
    public static TheoryData<string> AllModels() => new(ModelZoo.All.Select(m => m.Name));

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Parameter_count_equals_the_reference(string name)
    {
        var info = ModelZoo.Find(name);
        using var model = info.Build(info.ReferenceOptions);
        Assert.Equal(info.ReferenceParameters, model.ParameterCount());
    }

    [Fact]
    public void Every_model_has_reference_metadata()
    {
        Assert.All(ModelZoo.All, m =>
        {
            Assert.True(m.ReferenceParameters > 0, $"{m.Name} has no reference parameter count");
            Assert.False(string.IsNullOrWhiteSpace(m.Paper), $"{m.Name} cites no paper");
        });
    }
}
