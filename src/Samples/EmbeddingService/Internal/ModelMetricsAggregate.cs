using System.Collections.Concurrent;
using MLNetInference.Samples.EmbeddingService.Metrics;

namespace MLNetInference.Samples.EmbeddingService.Internal;

/// <summary>The running totals of one model's pool measurements.</summary>
internal sealed class ModelMetricsAggregate
{
    private long _queueLength;

    public HistogramAggregate BatchSize { get; } = new();

    public ConcurrentDictionary<int, long> BatchSizeCounts { get; } = new();

    public HistogramAggregate QueueWait { get; } = new();

    public HistogramAggregate Inference { get; } = new();

    public ConcurrentDictionary<string, long> Rejections { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, long> Failures { get; } = new(StringComparer.Ordinal);

    public void AddQueueLength(long delta) => Interlocked.Add(ref _queueLength, delta);

    public ModelMetricsSnapshot Snapshot()
    {
        var batchSize = BatchSize.Summary();
        return new ModelMetricsSnapshot(
            Interlocked.Read(ref _queueLength),
            batchSize.Count,
            batchSize,
            new SortedDictionary<int, long>(BatchSizeCounts),
            QueueWait.Summary(),
            Inference.Summary(),
            new SortedDictionary<string, long>(Rejections, StringComparer.Ordinal),
            new SortedDictionary<string, long>(Failures, StringComparer.Ordinal));
    }
}
