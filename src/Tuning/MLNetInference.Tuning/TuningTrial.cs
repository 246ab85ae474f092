namespace MLNetInference.Tuning;

/// <summary>One trial of a tuning run and what came of it.</summary>
public sealed class TuningTrial
{
    /// <summary>Initializes a new trial.</summary>
    /// <param name="id">The trial's number in the run.</param>
    /// <param name="configuration">The configuration tried.</param>
    public TuningTrial(int id, TrialConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Id = id;
        Configuration = configuration;
    }

    /// <summary>Gets the trial's number in the run.</summary>
    public int Id { get; }

    /// <summary>Gets the configuration tried.</summary>
    public TrialConfiguration Configuration { get; }

    /// <summary>Gets or sets what became of it.</summary>
    public TrialStatus Status { get; set; } = TrialStatus.Skipped;

    /// <summary>Gets or sets the accuracy against the original model, when measured.</summary>
    public AccuracyResult? Accuracy { get; set; }

    /// <summary>Gets or sets the last (longest) load measurement, when timed.</summary>
    public PerformanceResult? Performance { get; set; }

    /// <summary>Gets or sets the successive-halving rung of the last measurement (0 is the shortest).</summary>
    public int Rung { get; set; }

    /// <summary>Gets or sets a value indicating whether the last measurement came from the cache.</summary>
    public bool Cached { get; set; }

    /// <summary>Gets or sets the error of a failed trial.</summary>
    public string? Error { get; set; }

    /// <summary>Gets or sets a value indicating whether this is the baseline: ONNX Runtime's defaults on the original model.</summary>
    public bool IsBaseline { get; set; }

    /// <inheritdoc/>
    public override string ToString() => $"#{Id} {Configuration} → {Status}";
}
