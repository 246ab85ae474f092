using System.Diagnostics;
using MLNetInference.Core.Onnx;
using MLNetInference.Optimizers.Verification;
using MLNetInference.Core.Runtime;
using MLNetInference.Tuning.Internal;

namespace MLNetInference.Tuning;

/// <summary>
/// Finds the fastest configuration of a model (recipe, session settings, pool batching settings) that stays within an
/// accuracy budget and a latency ceiling, and writes the model, the reports and the pool's tuned-model description.
/// </summary>
/// <remarks>
/// Data flow: recipes × session settings × batching settings → trials (cached by content hash) → accuracy gate (with
/// accuracy-driven fallback to float for the most sensitive nodes) → closed-loop throughput and p99 latency → report +
/// best model. Files written to <see cref="TuningRequest.OutputDirectory"/>: <c>model.onnx</c>, <c>report.json</c>,
/// <c>report.md</c>, <c>pareto.png</c> and <c>tuned.json</c>.
/// </remarks>
public static class ModelTuner
{
    /// <summary>Tunes a model.</summary>
    /// <param name="request">The model, sample data, goals and search settings.</param>
    /// <param name="progress">Receives headway; optional.</param>
    /// <param name="cancellationToken">Stops the run between measurements.</param>
    /// <returns>The best trial, every trial, the report and the paths of the files written.</returns>
    /// <exception cref="ArgumentException">The request is incomplete or inconsistent; the message says what to fix.</exception>
    /// <exception cref="FileNotFoundException">The model does not exist.</exception>
    /// <exception cref="TuningException">No configuration meets the goals or could be measured within the budget.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static Task<TuningResult> TuneAsync(TuningRequest request, IProgress<TuningProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        return Task.Run(() => Tune(request, progress, cancellationToken), cancellationToken);
    }

    private static TuningResult Tune(TuningRequest request, IProgress<TuningProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        // Loaded through OnnxModelIO so that weights kept in side files (external data) come along.
        var original = OnnxModelIO.ToBytes(OnnxModelIO.Load(request.ModelPath));
        var samples = Samples(request, original);
        var space = request.SearchSpace ?? TuningSearchSpace.CreateDefault(gpu: OnnxSessionFactory.IsCudaAvailable(), quick: request.Quick);
        space.Validate();
        var cache = new TrialCache(request.CacheDirectory);
        using var evaluator = new OnnxTrialEvaluator(original, samples);
        var outcome = new TrialSearch(evaluator, cache, request, space, progress).Run(cancellationToken);

        progress?.Report(new TuningProgress("report", 0, 1, "writing the model and the reports"));
        evaluator.Dispose();
        var (hits, misses) = (cache.Hits, cache.Misses);
        var unchanged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var candidate in outcome.Trials.Where(t => !t.IsBaseline && t.Status != TrialStatus.Failed).Select(t => t.Configuration.Candidate).DistinctBy(c => c.Name))
        {
            // Cached with the trials, so that a run served from the cache does not build every recipe again to say it.
            var note = cache.GetOrAdd("unchanged", TrialCache.Key(evaluator.Fingerprint, "unchanged", candidate.Key), () => new UnchangedNote(evaluator.UnchangedReason(candidate)), out _);
            if (note.Reason is { } reason)
            {
                unchanged[candidate.Name] = reason;
            }
        }

        var output = Path.GetFullPath(request.OutputDirectory);
        Directory.CreateDirectory(output);
        var report = new TuningReport(Path.GetFullPath(request.ModelPath), request, outcome.Strategy, outcome.Trials, outcome.Best, outcome.Baseline, clock.Elapsed, hits, misses, unchanged);
        var result = new TuningResult(report, output);
        File.WriteAllBytes(result.ModelPath, evaluator.BuildModel(outcome.Best.Configuration.Candidate));
        ReportFiles.WriteTunedModel(outcome.Best, result.TunedModelPath);
        ReportFiles.WriteJson(report, result.ReportJsonPath);
        ReportFiles.WriteMarkdown(report, result.ReportMarkdownPath);
        ReportFiles.WriteChart(report, result.ChartPath);
        progress?.Report(new TuningProgress("report", 1, 1, $"best: {outcome.Best.Configuration}"));
        return result;
    }

    private static IReadOnlyList<IReadOnlyDictionary<string, SampleTensor>> Samples(TuningRequest request, byte[] original)
    {
        var max = request.EffectiveMaxSamples;
        if (request.Samples is { Count: > 0 } samples)
        {
            return [.. samples.Take(max)];
        }

        if (request.Sentences is { Count: > 0 } sentences)
        {
            return TuningSamples.FromSentences(sentences.Take(max), request.VocabularyPath!);
        }

        // No data: inputs generated from the declared inputs, one request each.
        return SampleInputGenerator.Generate(original, new SampleInputOptions { SampleCount = max, BatchSize = 1, SequenceLength = 32 });
    }

    /// <summary>Why a recipe left the model unchanged (<see langword="null"/> when it changed it), as the trial cache stores it.</summary>
    private sealed record UnchangedNote(string? Reason);
}
