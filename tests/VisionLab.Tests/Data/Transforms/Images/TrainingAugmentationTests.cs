using VisionLab.Data.Transforms.Images;

namespace VisionLab.Tests.Data.Transforms.Images;

/// <summary>
/// <c>--augment</c> for image folders: each recipe lands where torchvision's classification
/// reference puts it, with its defaults, and a mistyped recipe is refused by name.
/// </summary>
public class TrainingAugmentationTests
{
    [Fact]
    public void Recipes_place_each_augmentation_where_torchvision_does_with_its_defaults()
    {
        var none = TrainingAugmentation.Parse("none");
        Assert.Equal(TrainingAugmentation.None, none);
        var basic = ImageTransforms.Train(64, augmentation: none);
        Assert.Equal(["RandomResizedCrop", "RandomHorizontalFlip"], basic.ImageTransforms.Select(t => t.GetType().Name));
        Assert.Null(none.Mixing(4));

        var all = TrainingAugmentation.Parse("randaugment, erasing, mixup, cutmix");
        var pipeline = ImageTransforms.Train(64, augmentation: all);
        Assert.Equal(["RandomResizedCrop", "RandomHorizontalFlip", "RandAugment"], pipeline.ImageTransforms.Select(t => t.GetType().Name));
        var rand = (RandAugment)all.Policy!;
        Assert.Equal((2, 9), (rand.Ops, rand.Magnitude));
        var erasing = Assert.IsType<RandomErasing>(Assert.Single(pipeline.TensorTransforms));
        Assert.Equal(0.25, erasing.P);
        var choice = Assert.IsType<RandomBatchChoice>(all.Mixing(4));
        Assert.Collection(choice.Choices,
            m => Assert.Equal((1.0, 0.2), (((MixUp)m).P, ((MixUp)m).Alpha)),
            c => Assert.Equal((1.0, 1.0), (((CutMix)c).P, ((CutMix)c).Alpha)));
        Assert.Equal("randaugment:2:9,erasing:0.25,mixup:0.2,cutmix:1", all.ToString());

        var tuned = TrainingAugmentation.Parse("trivial,erasing:0.1,cutmix:0.5");
        Assert.IsType<TrivialAugmentWide>(tuned.Policy);
        Assert.Equal(0.1, tuned.ErasingProbability);
        Assert.Equal(0.5, Assert.IsType<CutMix>(tuned.Mixing(3)).Alpha);
        Assert.Equal(TrainingAugmentation.Parse(tuned.ToString()).ToString(), tuned.ToString());
    }

    [Theory]
    [InlineData("crop:2", "crop:2")]
    [InlineData("trivial,randaugment", "at most one")]
    [InlineData("randaugment:2:40", "'40'")]
    [InlineData("erasing:1.5", "'1.5'")]
    [InlineData("mixup:0", "above 0")]
    [InlineData("trivial:3", "is not one of none, or")]
    public void A_bad_recipe_is_refused_naming_the_part(string spec, string expected)
    {
        var error = Assert.Throws<VisionLabException>(() => TrainingAugmentation.Parse(spec));
        Assert.Contains(expected, error.Message);
        Assert.StartsWith("--augment:", error.Message);
    }
}
