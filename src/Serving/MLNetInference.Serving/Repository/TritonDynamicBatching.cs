namespace MLNetInference.Serving.Repository;

/// <summary>The <c>dynamic_batching</c> block of a Triton model configuration: requests are batched across callers.</summary>
public sealed class TritonDynamicBatching
{
    /// <summary>Gets or sets how long, in microseconds, a request may wait for others to join its batch.</summary>
    public long MaxQueueDelayMicroseconds { get; set; }

    /// <summary>Gets the batch sizes the batcher prefers to dispatch; empty lets it form batches up to the maximum.</summary>
    public IList<int> PreferredBatchSizes { get; } = [];

    /// <summary>Gets or sets whether responses keep the order of requests.</summary>
    public bool PreserveOrdering { get; set; }
}
