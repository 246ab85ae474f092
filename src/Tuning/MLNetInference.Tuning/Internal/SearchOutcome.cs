namespace MLNetInference.Tuning.Internal;

internal sealed record SearchOutcome(IReadOnlyList<TuningTrial> Trials, TuningTrial Best, TuningTrial? Baseline, string Strategy);
