namespace MLNetInference.Optimizers.Verification;

/// <summary>How one model output compares between the original and the optimized model, over all samples.</summary>
/// <param name="Name">The output's name.</param>
/// <param name="Shape">The output's shape in the first sample (from the original model).</param>
/// <param name="MaxAbsDiff">The largest absolute difference of any element; <see cref="double.MaxValue"/> when one model gives NaN or infinity where the other does not.</param>
/// <param name="MeanCosine">The mean, over rows (all axes but the last one longer than 1, so [N, 512, 1, 1] has N rows of 512), of the cosine similarity between the two models' rows; for embeddings.</param>
/// <param name="MinCosine">The smallest such cosine.</param>
/// <param name="Top1Agreement">The fraction of rows whose argmax over the last axis agrees; for classifiers.</param>
/// <param name="Problem">Why the output could not be compared (missing, different shape, unsupported type), or <see langword="null"/>.</param>
public sealed record OutputComparison(
    string Name,
    IReadOnlyList<long> Shape,
    double MaxAbsDiff,
    double MeanCosine,
    double MinCosine,
    double Top1Agreement,
    string? Problem = null);
