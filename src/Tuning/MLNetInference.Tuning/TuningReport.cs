using System.Globalization;
using System.Text;
using MLNetInference.Optimizers.Quantization;

namespace MLNetInference.Tuning;

/// <summary>Everything a tuning run found, for people (<see cref="ToMarkdown"/>) and machines (<c>report.json</c>).</summary>
public sealed class TuningReport
{
    internal TuningReport(
        string modelPath,
        TuningRequest request,
        string strategy,
        IReadOnlyList<TuningTrial> trials,
        TuningTrial best,
        TuningTrial? baseline,
        TimeSpan elapsed,
        int cacheHits,
        int evaluations,
        IReadOnlyDictionary<string, string>? unchangedRecipes = null)
    {
        ModelPath = modelPath;
        Metric = request.Metric;
        MaxDrop = request.Metric == AccuracyMetric.Cosine ? request.MaxCosineDrop : request.MaxTop1Drop;
        P99CeilingMs = request.P99LatencyCeiling?.TotalMilliseconds;
        Concurrency = request.Concurrency;
        Strategy = strategy;
        Trials = trials;
        Best = best;
        Baseline = baseline;
        Elapsed = elapsed;
        CacheHits = cacheHits;
        Evaluations = evaluations;
        Assumptions = request.Cost;
        Machine = $"{Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription.Trim()}, {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}, 8-bit kernels: {CpuInt8Kernels.InstructionSet}";
        QuantizationWarning = DescribeQuantizationFailure(trials);
        UnchangedRecipes = unchangedRecipes ?? new Dictionary<string, string>(StringComparer.Ordinal);
        FailedRecipes = trials
            .Where(t => !t.IsBaseline && t.Status == TrialStatus.Failed)
            .GroupBy(t => t.Configuration.Candidate.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(t => t.Error).FirstOrDefault(e => !string.IsNullOrEmpty(e)) ?? "failed", StringComparer.Ordinal);
        BestCost = best.Performance is { } p ? CostEstimate.For(best.Configuration, p, request.Cost) : null;
        BaselineCost = baseline?.Performance is { } b ? CostEstimate.For(baseline.Configuration, b, request.Cost) : null;
    }

    /// <summary>Gets the tuned model's path.</summary>
    public string ModelPath { get; }

    /// <summary>Gets the accuracy metric.</summary>
    public AccuracyMetric Metric { get; }

    /// <summary>Gets the largest allowed drop of the metric.</summary>
    public double MaxDrop { get; }

    /// <summary>Gets the p99 latency ceiling in milliseconds, if any.</summary>
    public double? P99CeilingMs { get; }

    /// <summary>Gets the closed-loop clients of the load measurements.</summary>
    public int Concurrency { get; }

    /// <summary>Gets the strategy that ran (exhaustive or successive halving, with its rungs).</summary>
    public string Strategy { get; }

    /// <summary>Gets every trial, in order.</summary>
    public IReadOnlyList<TuningTrial> Trials { get; }

    /// <summary>Gets the best trial: the highest throughput within the accuracy budget and the latency ceiling.</summary>
    public TuningTrial Best { get; }

    /// <summary>Gets the baseline trial (ONNX Runtime's defaults on the original model, one request per Run), if measured.</summary>
    public TuningTrial? Baseline { get; }

    /// <summary>Gets the best trial's throughput over the baseline's, or <see langword="null"/>.</summary>
    public double? SpeedupOverBaseline => Best.Performance is { } b && Baseline?.Performance is { } a && a.RowsPerSecond > 0 ? b.RowsPerSecond / a.RowsPerSecond : null;

    /// <summary>Gets how long the run took.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Gets how many measurements came from the cache.</summary>
    public int CacheHits { get; }

    /// <summary>Gets how many measurements ran (not from the cache).</summary>
    public int Evaluations { get; }

    /// <summary>Gets the machine the measurements ran on.</summary>
    public string Machine { get; }

    /// <summary>Gets the cost assumptions.</summary>
    public CostAssumptions Assumptions { get; }

    /// <summary>
    /// Gets, when the search tried INT8 or INT4 recipes and none of them passed (each failed, or left the accuracy
    /// budget), a sentence saying so and why, which <see cref="ToMarkdown"/> puts first; <see langword="null"/> otherwise.
    /// </summary>
    public string? QuantizationWarning { get; }

    /// <summary>Gets, by candidate name, why each recipe whose trials all failed failed (the first error); empty when none did.</summary>
    public IReadOnlyDictionary<string, string> FailedRecipes { get; }

    /// <summary>
    /// Gets, by candidate name, why each recipe left the model as it was (its trials ran the original model), such as
    /// the fusion rules the model's opsets rule out; empty when every recipe changed the model.
    /// </summary>
    public IReadOnlyDictionary<string, string> UnchangedRecipes { get; }

    /// <summary>Gets the best configuration's estimated cost per million predictions.</summary>
    public CostEstimate? BestCost { get; }

    /// <summary>Gets the baseline's estimated cost per million predictions.</summary>
    public CostEstimate? BaselineCost { get; }

    /// <summary>Formats the report as Markdown: a summary, the cost estimate and a table of every trial.</summary>
    /// <returns>The Markdown text.</returns>
    public string ToMarkdown()
    {
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.AppendLine(c, $"## Tuning report: {Path.GetFileName(ModelPath)}");
        s.AppendLine();
        if (QuantizationWarning is { } warning)
        {
            s.AppendLine(c, $"- **{warning}**");
        }

        if (FailedRecipes.Count > 0)
        {
            s.AppendLine(c, $"- Failed recipes: {string.Join("; ", FailedRecipes.Select(p => $"{p.Key}: {p.Value.ReplaceLineEndings(" ").TrimEnd('.')}"))}.");
        }

        if (UnchangedRecipes.Count > 0)
        {
            s.AppendLine(c, $"- Recipes that left the model unchanged (their trials ran the original): {string.Join("; ", UnchangedRecipes.Select(p => $"{p.Key}: {p.Value}"))}.");
        }

        if (!CpuInt8Kernels.HasFastInt8 && Trials.Any(t => t.Configuration.Session.Provider == MLNetInference.Core.Runtime.ExecutionProvider.Cpu && t.Configuration.Candidate.Recipe.Contains("int8", StringComparison.Ordinal)))
        {
            s.AppendLine(c, $"- This CPU ({CpuInt8Kernels.InstructionSet}) has no fast 8-bit instructions, so INT8 recipes run at about fp32 speed here; on a CPU with VNNI the same recipes measured 2.4-3.4x fp32 (BENCHMARKS.md). Tune on the kind of machine that will serve the model.");
        }

        s.AppendLine(c, $"- Goal: maximum throughput at {Concurrency} closed-loop clients, {(Metric == AccuracyMetric.Cosine ? "mean cosine to the original" : "top-1 agreement with the original")} ≥ {1 - MaxDrop:F4}{(P99CeilingMs is { } ms ? $", p99 ≤ {ms:F1} ms" : string.Empty)}.");
        s.AppendLine(c, $"- Best: #{Best.Id} {Best.Configuration}: {Describe(Best)}{(UnchangedRecipes.ContainsKey(Best.Configuration.Candidate.Name) ? " (its recipe left the model unchanged: the tuned model is the original)" : string.Empty)}.");
        if (Baseline is { } baseline)
        {
            s.AppendLine(c, $"- Baseline (ONNX Runtime defaults on the original model, one request per Run): #{baseline.Id}: {Describe(baseline)}; speedup {SpeedupOverBaseline?.ToString("F2", c) ?? "—"}×.");
        }

        s.AppendLine(c, $"- Search: {Strategy}; {Trials.Count} trials, {Evaluations} measurements run, {CacheHits} from the cache, {Elapsed.TotalSeconds:F1} s on {Machine}.");
        if (BestCost is { } cost)
        {
            s.Append(c, $"- Cost per million predictions (best): {cost.DeviceSecondsPerMillion:F0} {cost.Device}-seconds, {cost.KwhPerMillion:F4} kWh, {cost.GramsCo2PerMillion:F1} g CO2");
            s.Append(BaselineCost is { } bc ? string.Create(c, $" (baseline: {bc.DeviceSecondsPerMillion:F0} {bc.Device}-seconds, {bc.KwhPerMillion:F4} kWh, {bc.GramsCo2PerMillion:F1} g CO2)") : string.Empty);
            s.AppendLine(c, $". Assumptions: {Assumptions.WattsPerCpuCore:F0} W per busy CPU core, {Assumptions.WattsPerGpu:F0} W per busy GPU, {Assumptions.GramsCo2PerKwh:F0} g CO2/kWh; CPU-seconds count the cores the configuration keeps busy at its measured throughput.");
        }

        s.AppendLine();
        s.AppendLine("| # | recipe | session | batching | status | mean cosine | min cosine | top-1 | rows/s | p50 ms | p99 ms | rung | cached | note |");
        s.AppendLine("|---:|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|");
        foreach (var t in Trials)
        {
            var a = t.Accuracy;
            var p = t.Performance;
            var mark = ReferenceEquals(t, Best) ? " **best**" : t.IsBaseline ? " baseline" : string.Empty;
            s.AppendLine(c, $"| {t.Id} | {t.Configuration.Candidate.Name}{mark} | {t.Configuration.Session} | {t.Configuration.Batching} | {t.Status} | {F(a?.MeanCosine, "F5")} | {F(a?.MinCosine, "F5")} | {F(a?.Top1Agreement, "F3")} | {F(p?.RowsPerSecond, "F1")} | {F(p?.P50Ms, "F2")} | {F(p?.P99Ms, "F2")} | {(p is null ? "—" : t.Rung.ToString(c))} | {(t.Cached ? "yes" : "no")} | {Escape(t.Error)} |");
        }

        return s.ToString();
    }

    private static string? DescribeQuantizationFailure(IReadOnlyList<TuningTrial> trials)
    {
        var quantized = trials.Where(t => !t.IsBaseline && Internal.OnnxTrialEvaluator.IsQuantizing(t.Configuration.Candidate.Recipe)).ToList();
        if (quantized.Count == 0 || quantized.Any(t => t.Status is TrialStatus.Passed or TrialStatus.Pruned or TrialStatus.RejectedLatency))
        {
            return null;
        }

        var c = CultureInfo.InvariantCulture;
        var failed = quantized.Where(t => t.Status == TrialStatus.Failed).ToList();
        var rejected = quantized.Count(t => t.Status == TrialStatus.RejectedAccuracy);
        var skipped = quantized.Count(t => t.Status == TrialStatus.Skipped);
        var recipes = string.Join(", ", quantized.Select(t => t.Configuration.Candidate.Name).Distinct());
        var reason = failed.Select(t => t.Error).FirstOrDefault(e => !string.IsNullOrEmpty(e));
        return string.Create(c, $"No quantized recipe passed on this model ({recipes}): {failed.Count} trial(s) failed, {rejected} left the accuracy budget, {skipped} were skipped; the best configuration is not quantized.{(reason is null ? string.Empty : $" First failure: {reason.ReplaceLineEndings(" ")}")}");
    }

    private static string Describe(TuningTrial t)
    {
        var c = CultureInfo.InvariantCulture;
        var p = t.Performance;
        var a = t.Accuracy;
        return string.Create(c, $"{(p is null ? "not timed" : $"{p.RowsPerSecond:F1} rows/s, p50 {p.P50Ms:F2} ms, p99 {p.P99Ms:F2} ms")}, {(a is null ? "accuracy not measured" : $"cosine mean {a.MeanCosine:F5} / min {a.MinCosine:F5}, top-1 {a.Top1Agreement:F3}")}");
    }

    private static string F(double? value, string format) => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "—";

    private static string Escape(string? text) => text is null ? string.Empty : text.Replace('|', '/').ReplaceLineEndings(" ");
}
