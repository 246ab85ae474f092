namespace MLNetInference.Tuning;

/// <summary>The outcome of <see cref="ModelTuner.TuneAsync"/>: the best trial, every trial, the report and the files written.</summary>
public sealed class TuningResult
{
    internal TuningResult(TuningReport report, string outputDirectory)
    {
        Report = report;
        OutputDirectory = outputDirectory;
    }

    /// <summary>Gets the report (printable with <see cref="TuningReport.ToMarkdown"/>).</summary>
    public TuningReport Report { get; }

    /// <summary>Gets the best trial.</summary>
    public TuningTrial Best => Report.Best;

    /// <summary>Gets every trial.</summary>
    public IReadOnlyList<TuningTrial> Trials => Report.Trials;

    /// <summary>Gets the output folder.</summary>
    public string OutputDirectory { get; }

    /// <summary>Gets the best model file.</summary>
    public string ModelPath => Path.Combine(OutputDirectory, "model.onnx");

    /// <summary>Gets the JSON report.</summary>
    public string ReportJsonPath => Path.Combine(OutputDirectory, "report.json");

    /// <summary>Gets the Markdown report.</summary>
    public string ReportMarkdownPath => Path.Combine(OutputDirectory, "report.md");

    /// <summary>Gets the Pareto chart (p99 latency against accuracy).</summary>
    public string ChartPath => Path.Combine(OutputDirectory, "pareto.png");

    /// <summary>Gets the tuned-model description the pool loads (<c>FromTunedModel</c>).</summary>
    public string TunedModelPath => Path.Combine(OutputDirectory, MLNetInference.Serving.TunedModelDescription.FileName);
}
