namespace MLNetInference.Tuning;

/// <summary>How the tuner spends its time on the performance trials.</summary>
public enum SearchStrategy
{
    /// <summary>Exhaustive when every configuration fits the time budget at full length, successive halving otherwise.</summary>
    Auto = 0,

    /// <summary>Every configuration is measured once at full length.</summary>
    Exhaustive = 1,

    /// <summary>All configurations are measured briefly, the best third again for three times as long, and so on.</summary>
    SuccessiveHalving = 2,
}
