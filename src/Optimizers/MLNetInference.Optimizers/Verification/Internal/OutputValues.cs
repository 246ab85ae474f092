namespace MLNetInference.Optimizers.Verification.Internal;

/// <summary>One output of one run, widened to doubles, or the reason it could not be read.</summary>
internal sealed record OutputValues(long[] Shape, double[]? Values, string? Problem);
