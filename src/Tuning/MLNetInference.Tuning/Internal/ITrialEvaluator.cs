namespace MLNetInference.Tuning.Internal;

/// <summary>What the search needs measured; the real one runs ONNX Runtime, tests use a fake.</summary>
internal interface ITrialEvaluator
{
    /// <summary>Identifies the model and sample data (content hashes), for cache keys.</summary>
    string Fingerprint { get; }

    /// <summary>Elapsed time of the run so far (the fake's clock is virtual).</summary>
    TimeSpan Elapsed { get; }

    /// <summary>Compares the candidate with the original on the samples (the first <paramref name="sampleLimit"/> only, when set).</summary>
    AccuracyResult MeasureAccuracy(RecipeCandidate candidate, int? sampleLimit, CancellationToken cancellationToken);

    /// <summary>The nodes the candidate's quantization step rewrites, by name.</summary>
    IReadOnlyList<string> QuantizedNodes(RecipeCandidate candidate, CancellationToken cancellationToken);

    PerformanceResult MeasurePerformance(TrialConfiguration configuration, int concurrency, TimeSpan duration, CancellationToken cancellationToken);
}
