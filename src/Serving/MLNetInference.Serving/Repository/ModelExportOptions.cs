namespace MLNetInference.Serving.Repository;

/// <summary>Settings of <see cref="ModelRepository.Export(string, string, string, ModelExportOptions?)"/> that override what the model or the tuner says.</summary>
/// <remarks>
/// Every setting left <see langword="null"/> comes from the tune folder's <c>tuned.json</c> when exporting one, and
/// otherwise from the pool's defaults (<see cref="DynamicBatchingOptions"/>): batches of 32 requests, a 2 ms delay,
/// one CPU instance per processor core of the exporting machine with one intra-op thread each.
/// </remarks>
public sealed class ModelExportOptions
{
    /// <summary>Gets or sets <c>max_batch_size</c>; 0 exports a model that does not batch (dims then include the batch dimension).</summary>
    public int? MaxBatchSize { get; set; }

    /// <summary>Gets or sets <c>dynamic_batching.max_queue_delay_microseconds</c>.</summary>
    public TimeSpan? MaxQueueDelay { get; set; }

    /// <summary>Gets or sets the <c>instance_group</c> count: how many copies of the model run.</summary>
    public int? InstanceCount { get; set; }

    /// <summary>Gets or sets the <c>instance_group</c> kind.</summary>
    public TritonInstanceKind? InstanceKind { get; set; }

    /// <summary>Gets or sets the version folder the model is written to. Default 1.</summary>
    public long Version { get; set; } = 1;

    /// <summary>Gets or sets whether an existing model folder of the same name may be overwritten. Default <see langword="false"/>.</summary>
    public bool Overwrite { get; set; }

    /// <summary>Gets or sets the length the warmup sample gives each variable (-1) dimension. Default 16.</summary>
    public int WarmupAxisLength { get; set; } = 16;
}
