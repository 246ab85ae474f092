using MLNetInference.Core.Runtime;

namespace MLNetInference.Serving;

/// <summary>Cross-request dynamic batching settings of one model in a prediction engine pool.</summary>
/// <remarks>
/// <para>A request joins a batch that is dispatched when it holds <see cref="MaxBatchSize"/> requests, or when its
/// oldest request has waited <see cref="MaxQueueDelay"/> (Triton's <c>max_queue_delay</c>), whichever comes first,
/// and only when a batch worker is free.</para>
/// <para>Defaults: 32 requests per batch, 2 ms delay, 1,024 queued requests, 30 s per request, length grouping on,
/// one worker per processor core on one CPU device with one intra-op thread each.</para>
/// </remarks>
public sealed class DynamicBatchingOptions
{
    /// <summary>Gets or sets the most requests in one batch.</summary>
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>Gets or sets how long the oldest queued request may wait for more to join its batch.</summary>
    public TimeSpan MaxQueueDelay { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Gets or sets the most requests waiting in the queue; one more is rejected at once with <see cref="QueueFullException"/>.</summary>
    public int MaxQueueLength { get; set; } = 1024;

    /// <summary>Gets or sets the default time a request may take from enqueue to result, or <see cref="Timeout.InfiniteTimeSpan"/>.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets whether a batch gathers requests of similar length around the oldest one, so that it pads little.</summary>
    public bool GroupByLength { get; set; } = true;

    /// <summary>Gets or sets the number of batch workers per device; 0 means one per processor core on the CPU and one per GPU.</summary>
    public int WorkersPerDevice { get; set; }

    /// <summary>Gets or sets the intra-op threads of each worker's session; 0 lets ONNX Runtime choose.</summary>
    public int IntraOpThreadsPerWorker { get; set; } = 1;

    /// <summary>Gets the devices workers run on. Empty means one CPU device.</summary>
    public IList<DeviceSpec> Devices { get; } = [];

    /// <summary>Gets or sets how long shutdown waits for queued and running requests before failing the rest.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets whether the memory of a model version that a reload retired is given back to the system once its
    /// last batch has finished: one compacting collection (large-object heap included) and, on Linux with glibc,
    /// <c>malloc_trim</c>. On by default; each reload otherwise leaves the freed weights and arenas in the
    /// allocators, and the process grows by up to a model's size per allocator arena. It runs on the thread pool,
    /// once per retired version, and costs one blocking collection.
    /// </summary>
    public bool ReleaseMemoryAfterReload { get; set; } = true;

    /// <summary>Checks the settings.</summary>
    /// <returns>The problems found, empty when valid.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxBatchSize < 1)
        {
            errors.Add($"MaxBatchSize must be at least 1 (was {MaxBatchSize}).");
        }

        if (MaxQueueDelay < TimeSpan.Zero)
        {
            errors.Add($"MaxQueueDelay must not be negative (was {MaxQueueDelay}).");
        }

        if (MaxQueueLength < 1)
        {
            errors.Add($"MaxQueueLength must be at least 1 (was {MaxQueueLength}).");
        }

        if (RequestTimeout <= TimeSpan.Zero && RequestTimeout != Timeout.InfiniteTimeSpan)
        {
            errors.Add($"RequestTimeout must be positive or Timeout.InfiniteTimeSpan (was {RequestTimeout}).");
        }

        if (WorkersPerDevice < 0)
        {
            errors.Add($"WorkersPerDevice must be 0 (automatic) or more (was {WorkersPerDevice}).");
        }

        if (IntraOpThreadsPerWorker < 0)
        {
            errors.Add($"IntraOpThreadsPerWorker must be 0 (automatic) or more (was {IntraOpThreadsPerWorker}).");
        }

        if (ShutdownTimeout < TimeSpan.Zero)
        {
            errors.Add($"ShutdownTimeout must not be negative (was {ShutdownTimeout}).");
        }

        return errors;
    }

    internal IReadOnlyList<DeviceSpec> EffectiveDevices => Devices.Count == 0 ? [DeviceSpec.Cpu] : [.. Devices];

    internal int WorkersFor(DeviceSpec device)
        => WorkersPerDevice > 0 ? WorkersPerDevice : device.Provider == ExecutionProvider.Cpu ? Math.Max(1, Environment.ProcessorCount) : 1;

}
