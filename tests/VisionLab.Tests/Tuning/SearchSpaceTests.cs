using VisionLab.Tuning;

namespace VisionLab.Tests.Tuning;

public class SearchSpaceTests
{
    private const string Example = """
        optimizer.lr: {type: loguniform, low: 1.0e-4, high: 0.3}
        optimizer.weight_decay: {type: loguniform, low: 1.0e-6, high: 1.0e-2}
        batch_size: {type: int, low: 32, high: 256, step: 32}
        optimizer.name: {type: categorical, choices: [sgd, adamw]}
        label_smoothing: {type: uniform, low: 0.0, high: 0.2}
        """;

    [Fact]
    public void The_issue_example_reads_into_typed_ranges_in_key_order()
    {
        var space = SearchSpace.Parse(Example, "space.yaml");

        Assert.Equal(["batch_size", "label_smoothing", "optimizer.lr", "optimizer.name", "optimizer.weight_decay"],
            space.Parameters.Select(p => p.Key));
        var lr = Assert.IsType<FloatDistribution>(space["optimizer.lr"]);
        Assert.True(lr.Log);
        Assert.Equal(1e-4, lr.Low);
        Assert.Equal(0.3, lr.High);
        var batch = Assert.IsType<IntDistribution>(space["batch_size"]);
        Assert.Equal((32L, 256L, 32L, false), (batch.Low, batch.High, batch.Step, batch.Log));
        var name = Assert.IsType<CategoricalDistribution>(space["optimizer.name"]);
        Assert.Equal(["sgd", "adamw"], name.Choices);
        var smoothing = Assert.IsType<FloatDistribution>(space["label_smoothing"]);
        Assert.False(smoothing.Log);
    }

    [Fact]
    public void Canonical_json_is_the_same_however_the_file_is_written_and_reads_back()
    {
        var reordered = """
            # same space, block style, other order
            optimizer.name:
              type: categorical
              choices: [sgd, adamw]
            label_smoothing: {high: 0.2, low: 0, type: uniform}
            batch_size: {type: int, step: 32, low: 32, high: 256, log: false}
            optimizer.weight_decay: {type: float, log: true, low: 0.000001, high: 0.01}
            optimizer.lr: {type: loguniform, low: 1e-4, high: 3e-1}
            """;

        var json = SearchSpace.Parse(Example).ToJson();

        Assert.Equal(json, SearchSpace.Parse(reordered).ToJson());
        Assert.StartsWith("""{"batch_size":{"type":"int","low":32,"high":256,"step":32,"log":false},""", json);
        Assert.Contains(""","optimizer.name":{"type":"categorical","choices":["sgd","adamw"]}""", json);
        Assert.Contains(""","optimizer.lr":{"type":"loguniform","low":0.0001,"high":0.3}""", json);
        Assert.Equal(json, SearchSpace.FromJson(json).ToJson());
    }

    [Theory]
    [InlineData("optimizer.lr: {type: loguniform, low: 0.3, high: 1.0e-4}", "line 1: optimizer.lr: low (0.3) must be below high (0.0001)")]
    [InlineData("x: {type: uniform, low: 1, high: 1}", "x: low (1) must be below high (1)")]
    [InlineData("optimizer.lr: {type: loguniform, low: 0, high: 0.1}", "optimizer.lr: loguniform needs low > 0 (got 0)")]
    [InlineData("a: {type: uniform, low: 0, high: 1}\nbatch_size: {type: int, low: 64, high: 32}", "line 2: batch_size: low (64) must be below high (32)")]
    [InlineData("optimizer.lr: {type: gaussian, low: 0, high: 1}", "optimizer.lr: unknown type 'gaussian' (one of uniform, loguniform, float, int, categorical)")]
    [InlineData("optimizer.name: {type: categorical, choices: []}", "optimizer.name: choices must not be empty")]
    [InlineData("optimizer.name: {type: categorical, choices: [sgd, sgd]}", "optimizer.name: choice 'sgd' is listed more than once")]
    [InlineData("optimizer.name: {type: categorical}", "optimizer.name: missing 'choices'")]
    [InlineData("optimizer.lr: {low: 0, high: 1}", "optimizer.lr: missing 'type'")]
    [InlineData("optimizer.lr: {type: uniform, low: 0}", "optimizer.lr: missing 'high'")]
    [InlineData("optimizer.lr: {type: uniform, low: 0, high: 1, step: 0.1}", "optimizer.lr: unknown field 'step' for type uniform (allowed: type, low, high)")]
    [InlineData("optimizer.lr: {type: uniform, low: zero, high: 1}", "optimizer.lr: low 'zero' is not a number")]
    [InlineData("batch_size: {type: int, low: 32.5, high: 256}", "batch_size: low '32.5' is not a whole number")]
    [InlineData("batch_size: {type: int, low: 32, high: 250, step: 32}", "batch_size: high (250) is not on the grid from low (32) in steps of 32")]
    [InlineData("batch_size: {type: int, low: 0, high: 256, log: true}", "batch_size: log scale needs low > step/2")]
    [InlineData("batch_size: {type: int, low: 1, high: 256, log: maybe}", "batch_size: log 'maybe' must be true or false")]
    [InlineData("optimizer: {lr: {type: uniform, low: 0, high: 1}}", "optimizer: missing 'type' (write nested settings as one dotted key, like optimizer.lr: {type: ...})")]
    [InlineData("optimizer.lr: 0.1", "optimizer.lr: expected a range like")]
    [InlineData("- a\n- b", "expected a mapping from config paths to ranges")]
    [InlineData("", "the search space is empty")]
    [InlineData("{}", "space.yaml: no parameters to tune")]
    [InlineData("a: {type: uniform, low: 0, high: 1}\na: {type: uniform, low: 0, high: 2}", "space.yaml: line 2")]
    [InlineData("a: {type: uniform, low: 0, high: 1", "space.yaml: line ")]
    public void A_bad_space_is_rejected_with_a_message_naming_the_key(string yaml, string expected)
    {
        var error = Assert.Throws<VisionLabException>(() => SearchSpace.Parse(yaml, "space.yaml"));

        Assert.StartsWith("space.yaml: ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var error = Assert.Throws<VisionLabException>(() => SearchSpace.Load("/no/such/space.yaml"));

        Assert.Equal("/no/such/space.yaml: search space file not found", error.Message);
    }

    [Fact]
    public void Override_strings_are_invariant_and_read_back_exactly()
    {
        var space = SearchSpace.Parse(Example);
        var lr = space["optimizer.lr"];
        var batch = space["batch_size"];
        var name = space["optimizer.name"];

        Assert.Equal("0.013208391428", lr.Format(0.013208391428));
        Assert.True(lr.TryParse(lr.Format(0.1 / 3), out var back));
        Assert.Equal(0.1 / 3, back);
        Assert.False(lr.TryParse("0,01", out _));
        Assert.False(lr.TryParse("0.5", out _)); // above high
        Assert.Equal("96", batch.Format(96));
        Assert.True(batch.TryParse("96", out var b) && b == 96);
        Assert.False(batch.TryParse("100", out _)); // off the grid
        Assert.Equal("adamw", name.Format(1));
        Assert.True(name.TryParse("sgd", out var index) && index == 0);
        Assert.False(name.TryParse("rmsprop", out _));
    }
}
