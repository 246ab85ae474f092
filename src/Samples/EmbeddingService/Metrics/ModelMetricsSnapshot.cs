namespace MLNetInference.Samples.EmbeddingService.Metrics;

/// <summary>The pool metrics of one model, as <c>GET /metrics</c> reports them.</summary>
/// <param name="QueueLength">Requests waiting now.</param>
/// <param name="Batches">Batches dispatched.</param>
/// <param name="BatchSize">Requests per batch.</param>
/// <param name="BatchSizeCounts">How many batches had each size.</param>
/// <param name="QueueWaitMs">Time from enqueue to dispatch, in milliseconds.</param>
/// <param name="InferenceMs">Time one batch ran, in milliseconds.</param>
/// <param name="Rejections">Requests rejected before queueing, by reason (queue_full, invalid, unavailable).</param>
/// <param name="Failures">Requests that failed after queueing, by reason (error, timeout, cancelled, shutdown).</param>
public sealed record ModelMetricsSnapshot(
    long QueueLength,
    long Batches,
    HistogramSummary BatchSize,
    IReadOnlyDictionary<int, long> BatchSizeCounts,
    HistogramSummary QueueWaitMs,
    HistogramSummary InferenceMs,
    IReadOnlyDictionary<string, long> Rejections,
    IReadOnlyDictionary<string, long> Failures);
