namespace MLNetInference.Serving;

/// <summary>
/// The names of the prediction pool's <see cref="System.Diagnostics.ActivitySource"/> and of the spans it starts.
/// </summary>
/// <remarks>
/// <para>Each request gets a span (<see cref="RequestActivityName"/>) under the caller's current activity, and a child
/// span for its time in the queue (<see cref="QueueActivityName"/>). Each batch gets one span
/// (<see cref="InferenceActivityName"/>) whose parent is the oldest request it serves and which links to every
/// request it serves, so that a trace of any request leads to the batch that ran it.</para>
/// <para>The spans carry <see cref="PoolMetrics.ModelNameAttribute"/>; a failed span has an error status and
/// <see cref="PoolMetrics.ErrorTypeAttribute"/>; the inference span carries <see cref="BatchSizeAttribute"/>.
/// Export them with OpenTelemetry's <c>AddSource(PoolTracing.ActivitySourceName)</c>.</para>
/// </remarks>
public static class PoolTracing
{
    /// <summary>The activity source's name.</summary>
    public const string ActivitySourceName = "MLNetInference.Serving";

    /// <summary>The operation name of a request's span, from queueing to its result.</summary>
    public const string RequestActivityName = "MLNetInference.Serving.Request";

    /// <summary>The operation name of a request's time in the queue, a child of its request span.</summary>
    public const string QueueActivityName = "MLNetInference.Serving.Queue";

    /// <summary>The operation name of one batch's run on a worker.</summary>
    public const string InferenceActivityName = "MLNetInference.Serving.Inference";

    /// <summary>The attribute of the inference span that holds the number of requests in the batch.</summary>
    public const string BatchSizeAttribute = "mlnetinference.batch.size";
}
