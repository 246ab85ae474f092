namespace MLNetInference.Tuning;

/// <summary>How a configuration's outputs are compared with the original model's.</summary>
public enum AccuracyMetric
{
    /// <summary>Cosine similarity of each row (rank-3 outputs are mean-pooled over their second axis first, as for sentence embeddings).</summary>
    Cosine = 0,

    /// <summary>Agreement of the arg-max over the last axis, for classifiers.</summary>
    Top1Agreement = 1,
}
