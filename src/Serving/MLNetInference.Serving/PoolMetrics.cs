namespace MLNetInference.Serving;

/// <summary>
/// The names of the prediction pool's <see cref="System.Diagnostics.Metrics"/> instruments, on the meter named
/// <see cref="MeterName"/>, and of the attributes they carry. They follow the OpenTelemetry semantic conventions:
/// durations are histograms in seconds, attribute names are namespaced, and failures carry <c>error.type</c>.
/// </summary>
/// <remarks>
/// <para>The meter comes from the host's <see cref="System.Diagnostics.Metrics.IMeterFactory"/> (one per service
/// provider) when the pool is registered with <c>AddPredictionEnginePool</c>; a <see cref="RowBatcher{TResult}"/>
/// built without a factory records on one process-wide meter of the same name.</para>
/// <para>Every measurement carries <see cref="ModelNameAttribute"/> (<c>(default)</c> for the default model). The
/// values of <see cref="ErrorTypeAttribute"/> are short codes for what the pool decides (<c>timeout</c>,
/// <c>cancelled</c>, <c>shutdown</c>, <c>queue_full</c>, <c>invalid_input</c>, <c>unavailable</c>) and the full
/// name of the exception's type when the model itself failed.</para>
/// <para>Export them with OpenTelemetry's <c>AddMeter(PoolMetrics.MeterName)</c>.</para>
/// </remarks>
public static class PoolMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "MLNetInference.Serving";

    /// <summary>
    /// The histogram of seconds from when a request is queued until its result or failure
    /// (attributes: model name; <c>error.type</c> when it failed).
    /// </summary>
    public const string RequestDurationName = "mlnetinference.pool.request.duration";

    /// <summary>The histogram of seconds a request waits in its model's queue before its batch is dispatched.</summary>
    public const string QueueDurationName = "mlnetinference.pool.queue.duration";

    /// <summary>
    /// The histogram of seconds one batch (or, after a failure, one half of it) runs on a worker
    /// (attributes: model name; <c>error.type</c> when the run threw).
    /// </summary>
    public const string InferenceDurationName = "mlnetinference.pool.inference.duration";

    /// <summary>The histogram of requests per dispatched batch.</summary>
    public const string BatchSizeName = "mlnetinference.pool.batch.size";

    /// <summary>The up-down counter of requests waiting in a model's queue (the queue depth).</summary>
    public const string QueuedRequestsName = "mlnetinference.pool.queued_requests";

    /// <summary>
    /// The counter of requests refused before they were queued (<c>error.type</c>: <c>queue_full</c>,
    /// <c>invalid_input</c> or <c>unavailable</c>).
    /// </summary>
    public const string RejectedRequestsName = "mlnetinference.pool.rejected_requests";

    /// <summary>
    /// The counter of requests a full queue handed to the model's overflow model (<c>WithOverflow</c>); the attribute
    /// <see cref="OverflowTargetAttribute"/> names where they went.
    /// </summary>
    public const string OverflowedRequestsName = "mlnetinference.pool.overflowed_requests";

    /// <summary>The attribute that names the model an overflowed request went to.</summary>
    public const string OverflowTargetAttribute = "mlnetinference.overflow.target";

    /// <summary>The attribute that names the model.</summary>
    public const string ModelNameAttribute = "mlnetinference.model.name";

    /// <summary>The attribute that says why a request or a batch failed (the semantic conventions' <c>error.type</c>).</summary>
    public const string ErrorTypeAttribute = "error.type";

    /// <summary>
    /// Gets the bucket boundaries, in seconds, advised for the duration histograms: from 100 µs (a small model on a
    /// warm CPU) to 30 s (the default request timeout, reached by a long queue on an overloaded host).
    /// </summary>
    public static IReadOnlyList<double> DurationBucketBoundaries { get; } =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30];

    /// <summary>Gets the bucket boundaries advised for the batch-size histogram: powers of two up to 512.</summary>
    public static IReadOnlyList<int> BatchSizeBucketBoundaries { get; } = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];
}
