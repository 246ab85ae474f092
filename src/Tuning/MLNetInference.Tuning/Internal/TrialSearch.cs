using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Tuning.Internal;

/// <summary>
/// The search: recipes through the accuracy gate (with accuracy-driven fallback), then the surviving recipes × session ×
/// batching settings timed under closed-loop load, exhaustively or by successive halving, within the time budget.
/// </summary>
internal sealed class TrialSearch
{
    private const int Eta = 3;

    /// <summary>Samples used to rank nodes by the error they cause alone: a ranking needs fewer than a verdict.</summary>
    private const int SensitivitySamples = 16;

    /// <summary>The share of the budget the accuracy phase (gate and fallback) may use before timing starts.</summary>
    private const double AccuracyShare = 0.4;

    private static readonly TimeSpan PerTrialOverhead = TimeSpan.FromSeconds(0.5);

    private readonly ITrialEvaluator _evaluator;
    private readonly TrialCache _cache;
    private readonly TuningRequest _request;
    private readonly TuningSearchSpace _space;
    private readonly IProgress<TuningProgress>? _progress;
    private readonly List<TuningTrial> _trials = [];

    public TrialSearch(ITrialEvaluator evaluator, TrialCache cache, TuningRequest request, TuningSearchSpace space, IProgress<TuningProgress>? progress)
    {
        _evaluator = evaluator;
        _cache = cache;
        _request = request;
        _space = space;
        _progress = progress;
        _cache.Clock = () => _evaluator.Elapsed;
    }

    /// <summary>Gets the minimum length of a successive-halving timing.</summary>
    public TimeSpan MinimumTiming { get; init; } = TimeSpan.FromSeconds(0.2);

    private TimeSpan Budget => _request.EffectiveBudget;

    /// <summary>Gets the time spent so far, counting cached measurements at what they once cost (see <see cref="TrialCache.ReplayedTime"/>).</summary>
    private TimeSpan Elapsed => _evaluator.Elapsed + _cache.ReplayedTime;

    public SearchOutcome Run(CancellationToken cancellationToken)
    {
        var passing = GateRecipes(cancellationToken);
        var settings = _space.Settings().ToList();
        var timed = new List<TuningTrial>();
        foreach (var (candidate, accuracy) in passing)
        {
            foreach (var (session, batching) in settings)
            {
                var trial = Add(new TrialConfiguration(candidate, session, batching));
                trial.Accuracy = accuracy;
                timed.Add(trial);
            }
        }

        TuningTrial? baseline = null;
        var original = passing.FirstOrDefault(p => p.Candidate.Recipe == RecipeCandidate.NoRecipe);
        if (original.Candidate is not null)
        {
            baseline = Add(new TrialConfiguration(original.Candidate, new SessionSettings(ExecutionProvider.Cpu, 0, GraphOptimizationLevel.ORT_ENABLE_ALL), new BatchingSettings(1, 0, 1)));
            baseline.Accuracy = original.Accuracy;
            baseline.IsBaseline = true;
        }

        var strategy = TimeAll(timed, baseline, cancellationToken);
        var best = Choose(timed, baseline, ref strategy);
        return new SearchOutcome(_trials, best, baseline, strategy);
    }

    private List<(RecipeCandidate Candidate, AccuracyResult Accuracy)> GateRecipes(CancellationToken cancellationToken)
    {
        var passing = new List<(RecipeCandidate, AccuracyResult)>();
        var first = _space.Settings().First();
        for (var i = 0; i < _space.Recipes.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var candidate = _space.Recipes[i];
            Report("recipes", i, _space.Recipes.Count, $"accuracy of {candidate.Name}");
            if (candidate.Recipe != RecipeCandidate.NoRecipe && Elapsed > Budget * AccuracyShare)
            {
                var skipped = Add(new TrialConfiguration(candidate, first.Session, first.Batching));
                skipped.Error = "left out: the accuracy checks used their share of the time budget";
                continue;
            }

            try
            {
                var accuracy = Accuracy(candidate, out var cached);
                if (Passes(accuracy))
                {
                    passing.Add((candidate, accuracy));
                    continue;
                }

                var rejected = Add(new TrialConfiguration(candidate, first.Session, first.Batching));
                rejected.Accuracy = accuracy;
                rejected.Cached = cached;
                rejected.Status = TrialStatus.RejectedAccuracy;
                if (_request.AccuracyFallback && candidate.Quantizes)
                {
                    // The fallback's outcome is cached as a whole: it depends on the time left, and a rerun must take the same path.
                    var outcome = _cache.GetOrAdd("fallback", TrialCache.Key(_evaluator.Fingerprint, "fallback", candidate.Key, Budgets()), () => Fallback(candidate, cancellationToken), out _);
                    foreach (var excluded in outcome.Rejected)
                    {
                        var mixed = candidate.WithExcludedNodes(excluded);
                        var attempt = Add(new TrialConfiguration(mixed, first.Session, first.Batching));
                        attempt.Accuracy = Accuracy(mixed, out var attemptCached);
                        attempt.Cached = attemptCached;
                        attempt.Status = TrialStatus.RejectedAccuracy;
                    }

                    if (outcome.Passed is { } passed)
                    {
                        var mixed = candidate.WithExcludedNodes(passed);
                        passing.Add((mixed, Accuracy(mixed, out _)));
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                var failed = Add(new TrialConfiguration(candidate, first.Session, first.Batching));
                failed.Status = TrialStatus.Failed;
                failed.Error = Describe(ex);
            }
        }

        Report("recipes", _space.Recipes.Count, _space.Recipes.Count, $"{passing.Count} of {_space.Recipes.Count} recipes within the accuracy budget");
        if (passing.Count == 0)
        {
            var reasons = string.Join("; ", _trials.Select(t => $"{t.Configuration.Candidate.Name}: {t.Error ?? t.Status.ToString()}"));
            throw new TuningException($"No recipe meets the accuracy budget, not even the original model ({reasons}). Loosen the budget or check the sample data.");
        }

        return passing;
    }

    /// <summary>
    /// Accuracy-driven fallback: scores each quantized node by the error it causes alone, then keeps the worst 1, 2, 4 …
    /// nodes in float until the candidate passes.
    /// </summary>
    private FallbackOutcome Fallback(RecipeCandidate candidate, CancellationToken cancellationToken)
    {
        var nodes = _cache.GetOrAdd("nodes", TrialCache.Key(_evaluator.Fingerprint, "nodes", candidate.Key), () => _evaluator.QuantizedNodes(candidate, cancellationToken).ToArray(), out _);
        var rejected = new List<string[]>();
        if (nodes.Length == 0)
        {
            return new FallbackOutcome(null, rejected);
        }

        var drops = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < nodes.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Elapsed > Budget * AccuracyShare)
            {
                break;
            }

            Report("fallback", i, nodes.Length, $"{candidate.Name}: error of node {nodes[i]} alone");
            var alone = candidate.WithExcludedNodes(nodes.Where(n => n != nodes[i]).ToArray());
            drops[nodes[i]] = Drop(Accuracy(alone, out _, SensitivitySamples));
        }

        var ranked = nodes.OrderByDescending(n => drops.GetValueOrDefault(n)).ToArray();
        for (var k = 1; ; k = Math.Min(k * 2, ranked.Length))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var excluded = ranked[..k];
            Report("fallback", k, ranked.Length, $"{candidate.Name}: keeping the {k} most sensitive nodes in float");
            if (Passes(Accuracy(candidate.WithExcludedNodes(excluded), out _)))
            {
                return new FallbackOutcome(excluded, rejected);
            }

            rejected.Add(excluded);
            if (k == ranked.Length || Elapsed > Budget * AccuracyShare)
            {
                return new FallbackOutcome(null, rejected);
            }
        }
    }

    private string Budgets() => string.Create(CultureInfo.InvariantCulture, $"{_request.Metric}:{_request.MaxCosineDrop}:{_request.MaxTop1Drop}:{Budget.TotalSeconds}");

    private string TimeAll(List<TuningTrial> timed, TuningTrial? baseline, CancellationToken cancellationToken)
    {
        var full = _request.EffectiveTrialDuration;
        var remaining = Budget - Elapsed;
        var count = timed.Count + (baseline is null ? 0 : 1);
        var exhaustive = _request.Strategy switch
        {
            SearchStrategy.Exhaustive => true,
            SearchStrategy.SuccessiveHalving => false,
            _ => count * (full + PerTrialOverhead) <= remaining,
        };
        var rungs = new List<TimeSpan> { full };
        if (!exhaustive)
        {
            while (rungs.Count < 4 && rungs[0] / Eta >= MinimumTiming)
            {
                rungs.Insert(0, rungs[0] / Eta);
            }
        }

        // Round-robin over recipes, so that a budget that runs out in the first rung still saw every recipe.
        var alive = timed.Select((t, i) => (t, i)).GroupBy(p => p.t.Configuration.Candidate.Key)
            .SelectMany(g => g.Select((p, k) => (p.t, k, p.i))).OrderBy(p => p.k).ThenBy(p => p.i).Select(p => p.t).ToList();
        var done = 0;
        var planned = alive.Count + (baseline is null ? 0 : rungs.Count);
        for (var r = 0; r < rungs.Count && alive.Count > 0; r++)
        {
            var measuredThisRung = new List<TuningTrial>();
            var order = baseline is null ? alive : [baseline, .. alive];
            foreach (var trial in order)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (Elapsed + rungs[r] + PerTrialOverhead > Budget * 0.97)
                {
                    break;
                }

                Report("timing", done++, planned, $"rung {r} ({rungs[r].TotalSeconds:F2} s): {trial.Configuration}");
                try
                {
                    var configuration = trial.Configuration;
                    var key = TrialCache.Key(_evaluator.Fingerprint, "load", configuration.Candidate.Key, configuration.Session.ToString(), configuration.Batching.ToString(), _request.Concurrency.ToString(CultureInfo.InvariantCulture), rungs[r].TotalMilliseconds.ToString(CultureInfo.InvariantCulture));
                    trial.Performance = _cache.GetOrAdd("load", key, () => _evaluator.MeasurePerformance(configuration, _request.Concurrency, rungs[r], cancellationToken), out var cached);
                    trial.Cached = cached;
                    trial.Rung = r;
                    if (!trial.IsBaseline)
                    {
                        measuredThisRung.Add(trial);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    trial.Status = TrialStatus.Failed;
                    trial.Error = Describe(ex);
                    trial.Performance = null;
                }
            }

            if (r < rungs.Count - 1)
            {
                var keep = Math.Max(1, (int)Math.Ceiling(measuredThisRung.Count / (double)Eta));
                alive = [.. measuredThisRung.OrderByDescending(MeetsLatency).ThenByDescending(t => t.Performance!.RowsPerSecond).Take(keep)];
                planned = done + alive.Count + (baseline is null ? 0 : rungs.Count - r - 1);
            }
        }

        Report("timing", planned, planned, "timing done");
        return exhaustive
            ? string.Create(CultureInfo.InvariantCulture, $"exhaustive, {full.TotalSeconds:F2} s per timing")
            : string.Create(CultureInfo.InvariantCulture, $"successive halving (η = {Eta}), timings of {string.Join(" → ", rungs.Select(d => d.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)))} s");
    }

    private TuningTrial Choose(List<TuningTrial> timed, TuningTrial? baseline, ref string strategy)
    {
        var measured = (baseline is null ? timed : [.. timed, baseline]).Where(t => t.Performance is not null && t.Status != TrialStatus.Failed).ToList();
        var finalRung = measured.Count == 0 ? 0 : measured.Max(t => t.Rung);
        foreach (var trial in timed.Append(baseline).OfType<TuningTrial>())
        {
            if (trial.Status == TrialStatus.Failed)
            {
                continue;
            }

            if (trial.Performance is null)
            {
                trial.Status = TrialStatus.Skipped;
                trial.Error ??= "left out: the time budget ran out";
            }
            else if (!MeetsLatency(trial))
            {
                trial.Status = TrialStatus.RejectedLatency;
            }
            else
            {
                trial.Status = trial.Rung < finalRung && !trial.IsBaseline ? TrialStatus.Pruned : TrialStatus.Passed;
            }
        }

        var eligible = measured.Where(t => t.Status == TrialStatus.Passed).ToList();
        if (eligible.Count > 0)
        {
            return eligible.OrderByDescending(t => t.Rung).ThenByDescending(t => t.Performance!.RowsPerSecond).First();
        }

        if (measured.Count == 0)
        {
            var errors = string.Join("; ", timed.Where(t => t.Error is not null).Select(t => t.Error).Distinct().Take(3));
            throw new TuningException($"No configuration could be timed within the time budget of {Budget.TotalSeconds:F0} s{(errors.Length > 0 ? $" ({errors})" : string.Empty)}. Give more time or a smaller search space.");
        }

        strategy += "; no configuration met the latency ceiling, so the one with the lowest p99 was chosen";
        return measured.OrderBy(t => t.Performance!.P99Ms).First();
    }

    private AccuracyResult Accuracy(RecipeCandidate candidate, out bool cached, int? sampleLimit = null)
        => _cache.GetOrAdd("accuracy", TrialCache.Key(_evaluator.Fingerprint, "accuracy", candidate.Key, sampleLimit?.ToString(CultureInfo.InvariantCulture) ?? "all"), () => _evaluator.MeasureAccuracy(candidate, sampleLimit, CancellationToken.None), out cached);

    private bool Passes(AccuracyResult accuracy) => Drop(accuracy) <= (_request.Metric == AccuracyMetric.Cosine ? _request.MaxCosineDrop : _request.MaxTop1Drop) + 1e-12;

    private double Drop(AccuracyResult accuracy) => _request.Metric == AccuracyMetric.Cosine ? 1 - accuracy.MeanCosine : 1 - accuracy.Top1Agreement;

    private bool MeetsLatency(TuningTrial trial) => _request.P99LatencyCeiling is not { } ceiling || (trial.Performance is { } p && p.P99Ms <= ceiling.TotalMilliseconds);

    private TuningTrial Add(TrialConfiguration configuration)
    {
        var trial = new TuningTrial(_trials.Count + 1, configuration);
        _trials.Add(trial);
        return trial;
    }

    private void Report(string phase, int done, int total, string message) => _progress?.Report(new TuningProgress(phase, done, Math.Max(done, total), message));

    private static string Describe(Exception ex) => $"{ex.GetType().Name}: {ex.Message}";
}
