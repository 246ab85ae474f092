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

    private static readonly Meter Meter = new(MeterName, "1.0");

    internal static readonly UpDownCounter<int> QueueLength = Meter.CreateUpDownCounter<int>("mlnetinference.pool.queue.length", "{request}", "Requests waiting in a model's queue.");

    internal static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("mlnetinference.pool.batch.size", "{request}", "Requests per dispatched batch.");

    internal static readonly Histogram<double> QueueWait = Meter.CreateHistogram<double>("mlnetinference.pool.queue.wait", "ms", "Time from enqueue to dispatch.");

    internal static readonly Histogram<double> InferenceTime = Meter.CreateHistogram<double>("mlnetinference.pool.inference.duration", "ms", "Time one batch runs on a worker.");

    internal static readonly Counter<long> Rejections = Meter.CreateCounter<long>("mlnetinference.pool.rejections", "{request}", "Requests rejected before queueing (reason: queue_full, invalid, unavailable).");

    internal static readonly Counter<long> Failures = Meter.CreateCounter<long>("mlnetinference.pool.failures", "{request}", "Requests that failed after queueing (reason: error, timeout, cancelled, shutdown).");
}
