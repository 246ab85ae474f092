namespace MLNetInference.Tuning;

/// <summary>How a rewritten model's outputs compare with the original's on the sample data.</summary>
/// <param name="MeanCosine">Mean row cosine over every output and sample.</param>
/// <param name="MinCosine">Smallest row cosine.</param>
/// <param name="Top1Agreement">Fraction of rows whose arg-max agrees.</param>
/// <param name="SampleCount">How many samples were compared.</param>
public sealed record AccuracyResult(double MeanCosine, double MinCosine, double Top1Agreement, int SampleCount);
