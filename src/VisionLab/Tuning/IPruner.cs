namespace VisionLab.Tuning;

/// <summary>
/// Decides, after a trial reports its objective for one more epoch, whether the trial looks too
/// poor to be worth finishing.
/// </summary>
public interface IPruner
{
    /// <param name="trials">Every trial of the study as stored now (other workers' included).</param>
    /// <param name="trial">The running trial, with the value it just reported last in
    /// <see cref="TrialRecord.Intermediate"/>; step s is the value at index s (the epoch counted from 0).</param>
    bool ShouldPrune(StudyDirection direction, IReadOnlyList<TrialRecord> trials, TrialRecord trial);
}
