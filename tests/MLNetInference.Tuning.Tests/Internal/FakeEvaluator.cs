using MLNetInference.Tuning;
using MLNetInference.Tuning.Internal;

namespace MLNetInference.Tuning.Tests.Internal;

/// <summary>A scripted evaluator with a virtual clock: accuracy and throughput come from tables, timings advance the clock.</summary>
internal sealed class FakeEvaluator : ITrialEvaluator
{
    private TimeSpan _elapsed;

    public string Fingerprint { get; init; } = "fake-model";

    public TimeSpan Elapsed => _elapsed;

    /// <summary>Mean cosine by recipe name; 1 when absent.</summary>
    public Dictionary<string, double> Cosine { get; } = new(StringComparer.Ordinal);

    /// <summary>Cosine lost per quantized node that is not excluded, for recipes in <see cref="NodeErrors"/>.</summary>
    public Dictionary<string, double> NodeErrors { get; } = new(StringComparer.Ordinal);

    /// <summary>Throughput by recipe name (scaled by batch size / 8 when <see cref="BatchHelps"/>).</summary>
    public Dictionary<string, double> Throughput { get; } = new(StringComparer.Ordinal);

    /// <summary>p99 latency by recipe name and batch size: base p99 × batch.</summary>
    public Dictionary<string, double> P99 { get; } = new(StringComparer.Ordinal);

    public HashSet<string> FailingRecipes { get; } = new(StringComparer.Ordinal);

    public bool BatchHelps { get; init; } = true;

    public TimeSpan AccuracyCost { get; init; } = TimeSpan.FromSeconds(0.1);

    public int AccuracyCalls { get; private set; }

    public int PerformanceCalls { get; private set; }

    public List<TimeSpan> Timings { get; } = [];

    public List<string> TimedRecipes { get; } = [];

    public AccuracyResult MeasureAccuracy(RecipeCandidate candidate, int? sampleLimit, CancellationToken cancellationToken)
    {
        AccuracyCalls++;
        _elapsed += AccuracyCost;
        var name = BaseName(candidate);
        if (NodeErrors.Count > 0 && candidate.Quantizes)
        {
            var excluded = candidate.ExcludedNodes.ToHashSet(StringComparer.Ordinal);
            var loss = NodeErrors.Where(e => !excluded.Contains(e.Key)).Sum(e => e.Value);
            return new AccuracyResult(1 - loss, 1 - (2 * loss), 1, 4);
        }

        var cosine = Cosine.GetValueOrDefault(name, 1);
        return new AccuracyResult(cosine, cosine, 1, 4);
    }

    public IReadOnlyList<string> QuantizedNodes(RecipeCandidate candidate, CancellationToken cancellationToken) => [.. NodeErrors.Keys];

    public PerformanceResult MeasurePerformance(TrialConfiguration configuration, int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        PerformanceCalls++;
        Timings.Add(duration);
        TimedRecipes.Add(configuration.Candidate.Name);
        _elapsed += duration;
        var name = BaseName(configuration.Candidate);
        if (FailingRecipes.Contains(name))
        {
            throw new InvalidOperationException($"{name} cannot run");
        }

        var batch = configuration.Batching.MaxBatchSize;
        var rows = Throughput.GetValueOrDefault(name, 100) * (BatchHelps ? batch / 8.0 : 1) * (configuration.Session.IntraOpThreads == 1 ? 1 : 0.9);
        var p99 = P99.GetValueOrDefault(name, 10) * batch;
        return new PerformanceResult(rows, p99 / 2, p99, (int)(rows * duration.TotalSeconds), duration.TotalSeconds);
    }

    private static string BaseName(RecipeCandidate candidate) => candidate.Name.Split(" (", 2)[0];
}
