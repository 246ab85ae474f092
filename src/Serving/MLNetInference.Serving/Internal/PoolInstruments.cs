using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace MLNetInference.Serving.Internal;

/// <summary>
/// The pool's instruments on one meter: the host's (from its <see cref="IMeterFactory"/>, one per service provider),
/// or the process-wide fallback for batchers built without dependency injection. Names are in <see cref="PoolMetrics"/>.
/// </summary>
internal sealed class PoolInstruments
{
    private static readonly string? Version = typeof(PoolInstruments).Assembly.GetName().Version?.ToString();
    private static readonly Lazy<PoolInstruments> SharedInstance = new(() => new PoolInstruments(new Meter(new MeterOptions(PoolMetrics.MeterName) { Version = Version })));

    /// <summary>The pool's spans. Activity sources are process-wide: listeners choose them by name.</summary>
    public static readonly ActivitySource ActivitySource = new(PoolTracing.ActivitySourceName, Version);

    public PoolInstruments(IMeterFactory meterFactory)
        : this(meterFactory.Create(new MeterOptions(PoolMetrics.MeterName) { Version = Version }))
    {
    }

    private PoolInstruments(Meter meter)
    {
        Meter = meter;
        var durations = new InstrumentAdvice<double> { HistogramBucketBoundaries = PoolMetrics.DurationBucketBoundaries };
        RequestDuration = meter.CreateHistogram(PoolMetrics.RequestDurationName, "s", "Time from queueing a request to its result or failure.", advice: durations);
        QueueDuration = meter.CreateHistogram(PoolMetrics.QueueDurationName, "s", "Time a request waits in the queue before its batch is dispatched.", advice: durations);
        InferenceDuration = meter.CreateHistogram(PoolMetrics.InferenceDurationName, "s", "Time one batch runs on a worker.", advice: durations);
        BatchSize = meter.CreateHistogram(PoolMetrics.BatchSizeName, "{request}", "Requests per dispatched batch.", advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = PoolMetrics.BatchSizeBucketBoundaries });
        QueuedRequests = meter.CreateUpDownCounter<int>(PoolMetrics.QueuedRequestsName, "{request}", "Requests waiting in a model's queue.");
        OverflowedRequests = meter.CreateCounter<long>(PoolMetrics.OverflowedRequestsName, "{request}", "Requests a full queue handed to the model's overflow model.");
        RejectedRequests = meter.CreateCounter<long>(PoolMetrics.RejectedRequestsName, "{request}", "Requests refused before queueing (error.type: queue_full, invalid_input, unavailable).");
    }

    /// <summary>Gets the instruments on the process-wide meter, for batchers built without a meter factory.</summary>
    public static PoolInstruments Shared => SharedInstance.Value;

    public Meter Meter { get; }

    public Histogram<double> RequestDuration { get; }

    public Histogram<double> QueueDuration { get; }

    public Histogram<double> InferenceDuration { get; }

    public Histogram<int> BatchSize { get; }

    public UpDownCounter<int> QueuedRequests { get; }

    public Counter<long> RejectedRequests { get; }

    public Counter<long> OverflowedRequests { get; }

    /// <summary>Counts one request refused before it was queued.</summary>
    public void Reject(string modelName, string errorType)
        => RejectedRequests.Add(1, new KeyValuePair<string, object?>(PoolMetrics.ModelNameAttribute, modelName), new KeyValuePair<string, object?>(PoolMetrics.ErrorTypeAttribute, errorType));
}
