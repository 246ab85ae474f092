using System.Diagnostics.Metrics;

namespace MLNetInference.Serving;

/// <summary>
/// The <see cref="System.Diagnostics.Metrics"/> instruments of the prediction pool, on the meter named
/// <see cref="MeterName"/>. Every measurement carries the tag <c>model</c>.
/// </summary>
public static class PoolMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "MLNetInference.Serving";

    /// <summary>The up-down counter of requests waiting in a model's queue.</summary>
    public const string QueueLengthName = "mlnetinference.pool.queue.length";

    /// <summary>The histogram of requests per dispatched batch.</summary>
    public const string BatchSizeName = "mlnetinference.pool.batch.size";

    /// <summary>The histogram of milliseconds from enqueue to dispatch.</summary>
    public const string QueueWaitName = "mlnetinference.pool.queue.wait";

    /// <summary>The histogram of milliseconds one batch runs on a worker.</summary>
    public const string InferenceTimeName = "mlnetinference.pool.inference.duration";

    /// <summary>The counter of requests rejected before queueing (tag <c>reason</c>: queue_full, invalid, unavailable).</summary>
    public const string RejectionsName = "mlnetinference.pool.rejections";

    /// <summary>The counter of requests that failed after queueing (tag <c>reason</c>: error, timeout, cancelled, shutdown).</summary>
    public const string FailuresName = "mlnetinference.pool.failures";

    private static readonly Meter Meter = new(MeterName, "1.0");

    internal static readonly UpDownCounter<int> QueueLength = Meter.CreateUpDownCounter<int>(QueueLengthName, "{request}", "Requests waiting in a model's queue.");

    internal static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>(BatchSizeName, "{request}", "Requests per dispatched batch.");

    internal static readonly Histogram<double> QueueWait = Meter.CreateHistogram<double>(QueueWaitName, "ms", "Time from enqueue to dispatch.");

    internal static readonly Histogram<double> InferenceTime = Meter.CreateHistogram<double>(InferenceTimeName, "ms", "Time one batch runs on a worker.");

    internal static readonly Counter<long> Rejections = Meter.CreateCounter<long>(RejectionsName, "{request}", "Requests rejected before queueing (reason: queue_full, invalid, unavailable).");

    internal static readonly Counter<long> Failures = Meter.CreateCounter<long>(FailuresName, "{request}", "Requests that failed after queueing (reason: error, timeout, cancelled, shutdown).");
}
