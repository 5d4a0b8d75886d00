namespace VisionLab.Training.Schedules;

/// <summary>
/// The one-cycle policy (Smith and Topin, "Super-Convergence", 2019), per step, as torch's
/// OneCycleLR: the rate climbs from peak/div_factor to the peak over the first pct_start of the
/// steps, then anneals to start/final_div_factor; momentum moves the opposite way, high while the
/// rate is low. With three phases it first falls back to the start rate, then anneals to the end.
/// </summary>
public sealed class OneCycle : StatelessSchedule
{
    private readonly (double EndStep, double StartRate, double EndRate, double StartMomentum, double EndMomentum)[] phases;
    private readonly bool cosine;

    public OneCycle(double maxRate, long totalSteps, double pctStart = 0.3, double divFactor = 25, double finalDivFactor = 1e4,
        bool cosineAnnealing = true, bool threePhase = false, bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95)
    {
        if (totalSteps < 2) throw new VisionLabException($"one-cycle needs at least two steps, not {totalSteps}");
        if (!(pctStart > 0 && pctStart < 1)) throw new VisionLabException($"one-cycle pct_start {pctStart} must be between 0 and 1");
        TotalSteps = totalSteps;
        CycleMomentum = cycleMomentum;
        cosine = cosineAnnealing;
        double initial = maxRate / divFactor, final = initial / finalDivFactor;
        // Phase ends as torch computes them (float(pct_start * total) - 1), fractional steps included.
        phases = threePhase
            ?
            [
                (pctStart * totalSteps - 1, initial, maxRate, maxMomentum, baseMomentum),
                (2 * pctStart * totalSteps - 2, maxRate, initial, baseMomentum, maxMomentum),
                (totalSteps - 1, initial, final, maxMomentum, maxMomentum),
            ]
            :
            [
                (pctStart * totalSteps - 1, initial, maxRate, maxMomentum, baseMomentum),
                (totalSteps - 1, maxRate, final, baseMomentum, maxMomentum),
            ];
    }

    public long TotalSteps { get; }
    public bool CycleMomentum { get; }

    public override double RateAt(long step) => Interpolate(step, p => (p.StartRate, p.EndRate));

    public override double? MomentumAt(long step) => CycleMomentum ? Interpolate(step, p => (p.StartMomentum, p.EndMomentum)) : null;

    private double Interpolate(long step,
        Func<(double EndStep, double StartRate, double EndRate, double StartMomentum, double EndMomentum), (double Start, double End)> ends)
    {
        ScheduleSteps.Check(step, TotalSteps);
        double start = 0;
        for (int i = 0; i < phases.Length; i++)
        {
            var phase = phases[i];
            if (step <= phase.EndStep || i == phases.Length - 1)
            {
                double pct = (step - start) / (phase.EndStep - start);
                var (from, to) = ends(phase);
                return cosine ? to + (from - to) / 2 * (Math.Cos(Math.PI * pct) + 1) : (to - from) * pct + from;
            }
            start = phase.EndStep;
        }
        throw new InvalidOperationException("unreachable: the last phase always answers");
    }
}
