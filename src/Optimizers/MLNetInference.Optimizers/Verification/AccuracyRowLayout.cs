namespace MLNetInference.Optimizers.Verification;

/// <summary>How <see cref="AccuracyAccumulator"/> cuts an output into the rows it compares.</summary>
public enum AccuracyRowLayout
{
    /// <summary>
    /// A row is the last axis longer than 1, with any trailing axes of size 1 after it (see
    /// <see cref="Accuracy.RowWidth"/>): [N, 4] has N rows of 4, [N, 512, 1, 1] has N rows of 512, [N, T, H] has N·T
    /// rows of H. The model verifier compares every output this way.
    /// </summary>
    LastAxis,

    /// <summary>
    /// As <see cref="LastAxis"/>, except that a rank-3 output [N, T, H] (token states) is pooled over its T tokens
    /// into N rows of H, so that what is compared is one sentence embedding per sample row. The tuner measures this way.
    /// </summary>
    PooledTokens,
}
