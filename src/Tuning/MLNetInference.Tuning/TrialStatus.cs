namespace MLNetInference.Tuning;

/// <summary>What became of a trial.</summary>
public enum TrialStatus
{
    /// <summary>Measured, within the accuracy budget and the latency ceiling.</summary>
    Passed = 0,

    /// <summary>Outside the accuracy budget; never timed.</summary>
    RejectedAccuracy = 1,

    /// <summary>Measured, but its p99 latency is above the ceiling.</summary>
    RejectedLatency = 2,

    /// <summary>Measured briefly, then dropped by successive halving for slower configurations.</summary>
    Pruned = 3,

    /// <summary>Failed with an error (recorded); the search went on.</summary>
    Failed = 4,

    /// <summary>Left out because the time budget ran out.</summary>
    Skipped = 5,
}
