using VisionLab.Tuning;

namespace VisionLab.Tests.Tuning;

public class InMemoryStudyStorageTests
{
    private static readonly Dictionary<string, string> Parameters = new() { ["optimizer.lr"] = "0.01" };

    [Fact]
    public void Trials_record_reports_runs_and_endings_and_snapshots_never_change()
    {
        var storage = new InMemoryStudyStorage();
        storage.EnsureStudy("s", StudyDirection.Maximize, "{}");
        storage.EnsureStudy("s", StudyDirection.Maximize, "{}"); // a second worker joining

        var trial = storage.StartTrial("s", trials => { Assert.Empty(trials); return Parameters; });
        var before = storage.Trials("s");
        storage.ReportIntermediate("s", trial.Number, 0.5);
        storage.ReportIntermediate("s", trial.Number, 0.6);
        storage.AttachRun("s", trial.Number, "run-17");
        storage.FinishTrial("s", trial.Number, TrialState.Complete, 0.6);

        Assert.Equal((0, TrialState.Running, (double?)null, (string?)null), (before[0].Number, before[0].State, before[0].Value, before[0].RunId));
        Assert.Empty(before[0].Intermediate);
        var after = Assert.Single(storage.Trials("s"));
        Assert.Equal((0, TrialState.Complete, 0.6, "run-17"), (after.Number, after.State, after.Value, after.RunId));
        Assert.Equal([0.5, 0.6], after.Intermediate);
        Assert.Equal("0.01", after.Parameters["optimizer.lr"]);
    }

    [Fact]
    public void A_proposal_that_throws_records_nothing()
    {
        var storage = new InMemoryStudyStorage();
        storage.EnsureStudy("s", StudyDirection.Minimize, "{}");

        Assert.Throws<TimeoutException>(() => storage.StartTrial("s", _ => throw new TimeoutException()));

        Assert.Empty(storage.Trials("s"));
        Assert.Equal(0, storage.StartTrial("s", _ => Parameters).Number);
    }

    [Fact]
    public void Misuse_is_reported()
    {
        var storage = new InMemoryStudyStorage();
        storage.EnsureStudy("s", StudyDirection.Minimize, "{}");
        var trial = storage.StartTrial("s", _ => Parameters);
        storage.FinishTrial("s", trial.Number, TrialState.Pruned, null);

        Assert.Equal("no study named t", Assert.Throws<VisionLabException>(() => storage.Trials("t")).Message);
        Assert.Equal("study s has no trial 3", Assert.Throws<VisionLabException>(() => storage.ReportIntermediate("s", 3, 1)).Message);
        Assert.Contains("it is Pruned", Assert.Throws<InvalidOperationException>(() => storage.FinishTrial("s", 0, TrialState.Complete, 1)).Message);
        Assert.Contains("it is Pruned", Assert.Throws<InvalidOperationException>(() => storage.ReportIntermediate("s", 0, 1)).Message);
        Assert.Throws<VisionLabException>(() => storage.EnsureStudy("s", StudyDirection.Maximize, "{}"));
        Assert.Throws<VisionLabException>(() => storage.EnsureStudy("s", StudyDirection.Minimize, "{\"x\":1}"));
    }
}
