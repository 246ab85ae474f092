using MLNetInference.Core.Runtime;

namespace MLNetInference.Tuning;

/// <summary>What to tune and what the tuned configuration must meet. Only <see cref="ModelPath"/> and <see cref="OutputDirectory"/> are required.</summary>
/// <remarks>
/// Defaults: cosine metric with a drop of at most 0.01, no latency ceiling, 32 concurrent clients, a 600 s time budget
/// (60 s with <see cref="Quick"/>), the automatic strategy, the default search space, 2 s per full-length timing, no cache.
/// Sample data, in order of preference: <see cref="Samples"/>, then <see cref="Sentences"/> with <see cref="VocabularyPath"/>,
/// then inputs generated from the model's declared inputs.
/// </remarks>
public sealed class TuningRequest
{
    /// <summary>Gets or sets the ONNX model to tune.</summary>
    public string ModelPath { get; set; } = string.Empty;

    /// <summary>Gets or sets the folder that receives <c>model.onnx</c>, <c>report.json</c>, <c>report.md</c>, <c>pareto.png</c> and <c>tuned.json</c>.</summary>
    public string OutputDirectory { get; set; } = string.Empty;

    /// <summary>Gets or sets sample inputs, one feed (input name → tensor with a leading batch dimension of 1) per request; see <see cref="TuningSamples"/>.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, SampleTensor>>? Samples { get; set; }

    /// <summary>Gets or sets sentences for a BERT-style text model (used with <see cref="VocabularyPath"/> when <see cref="Samples"/> is not set).</summary>
    public IReadOnlyList<string>? Sentences { get; set; }

    /// <summary>Gets or sets the WordPiece vocabulary that tokenizes <see cref="Sentences"/>.</summary>
    public string? VocabularyPath { get; set; }

    /// <summary>Gets or sets the most samples used; more are ignored. Default 64 (16 with <see cref="Quick"/>).</summary>
    public int? MaxSamples { get; set; }

    /// <summary>Gets or sets the accuracy metric.</summary>
    public AccuracyMetric Metric { get; set; } = AccuracyMetric.Cosine;

    /// <summary>Gets or sets the largest allowed drop of the mean cosine to the original (for <see cref="AccuracyMetric.Cosine"/>). Default 0.01.</summary>
    public double MaxCosineDrop { get; set; } = 0.01;

    /// <summary>Gets or sets the largest allowed drop of top-1 agreement (for <see cref="AccuracyMetric.Top1Agreement"/>). Default 0.01.</summary>
    public double MaxTop1Drop { get; set; } = 0.01;

    /// <summary>Gets or sets the p99 latency ceiling at <see cref="Concurrency"/>, or <see langword="null"/> for none.</summary>
    public TimeSpan? P99LatencyCeiling { get; set; }

    /// <summary>Gets or sets the number of closed-loop clients the load is measured with. Default 32.</summary>
    public int Concurrency { get; set; } = 32;

    /// <summary>Gets or sets the time budget of the whole tune, or <see langword="null"/> for the default.</summary>
    public TimeSpan? TimeBudget { get; set; }

    /// <summary>Gets or sets the search strategy.</summary>
    public SearchStrategy Strategy { get; set; } = SearchStrategy.Auto;

    /// <summary>Gets or sets the search space; <see cref="TuningSearchSpace.CreateDefault"/> when <see langword="null"/>.</summary>
    public TuningSearchSpace? SearchSpace { get; set; }

    /// <summary>Gets or sets a value indicating whether to run a quick tune: small space, few samples, short timings.</summary>
    public bool Quick { get; set; }

    /// <summary>Gets or sets the length of a full timing; default 2 s (0.5 s with <see cref="Quick"/>).</summary>
    public TimeSpan? TrialDuration { get; set; }

    /// <summary>Gets or sets a folder where trials are cached by content hash, so that a rerun is near instant; no cache when <see langword="null"/>.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Gets or sets a value indicating whether a quantized recipe that breaks the accuracy budget keeps its most sensitive nodes in float until it passes. Default on.</summary>
    public bool AccuracyFallback { get; set; } = true;

    /// <summary>Gets the assumptions behind the cost estimates.</summary>
    public CostAssumptions Cost { get; init; } = new();

    internal TimeSpan EffectiveBudget => TimeBudget ?? TimeSpan.FromSeconds(Quick ? 60 : 600);

    internal TimeSpan EffectiveTrialDuration => TrialDuration ?? TimeSpan.FromSeconds(Quick ? 0.5 : 2);

    internal int EffectiveMaxSamples => MaxSamples ?? (Quick ? 16 : 64);

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath))
        {
            throw new ArgumentException("The tuning request needs a model path.", nameof(ModelPath));
        }

        if (!File.Exists(ModelPath))
        {
            throw new FileNotFoundException($"The model '{ModelPath}' to tune does not exist.", ModelPath);
        }

        if (string.IsNullOrWhiteSpace(OutputDirectory))
        {
            throw new ArgumentException("The tuning request needs an output directory.", nameof(OutputDirectory));
        }

        if (Sentences is { Count: > 0 } && Samples is null && (VocabularyPath is null || !File.Exists(VocabularyPath)))
        {
            throw new ArgumentException($"Sentences need a vocabulary file; '{VocabularyPath ?? "(none)"}' does not exist.", nameof(VocabularyPath));
        }

        if (MaxCosineDrop is < 0 or > 2 || double.IsNaN(MaxCosineDrop) || MaxTop1Drop is < 0 or > 1 || double.IsNaN(MaxTop1Drop))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxCosineDrop), "The allowed cosine drop must lie in [0, 2] and the top-1 drop in [0, 1].");
        }

        if (Concurrency < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Concurrency), Concurrency, "Concurrency must be at least 1.");
        }

        if (TimeBudget is { } budget && budget <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(TimeBudget), budget, "The time budget must be positive.");
        }

        if (TrialDuration is { } duration && duration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(TrialDuration), duration, "The trial duration must be positive.");
        }

        if (P99LatencyCeiling is { } ceiling && ceiling <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(P99LatencyCeiling), ceiling, "The latency ceiling must be positive.");
        }

        if (MaxSamples is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSamples), MaxSamples, "At least one sample is needed.");
        }

        SearchSpace?.Validate();
    }
}
