using System.Diagnostics.Metrics;

namespace MLNetInference.Core.Runtime;

/// <summary>
/// The <see cref="System.Diagnostics.Metrics"/> instruments of the runtime core, on the meter named
/// <see cref="MeterName"/>.
/// </summary>
/// <remarks>
/// The live session count is process-wide: it counts every <see cref="OnnxModelSession"/> that an
/// <see cref="OnnxSessionFactory"/> created and that is not yet disposed. After a model is reloaded and the old
/// version's batches finish, it returns to what it was before the reload; a count that keeps growing is a leak.
/// </remarks>
public static class OnnxSessionMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "MLNetInference.Core";

    /// <summary>The observable up-down counter of ONNX Runtime sessions created and not yet disposed.</summary>
    public const string SessionCountName = "mlnetinference.onnx.session.count";

    private static readonly Meter Meter = new(MeterName, "1.0");

    private static int s_live;

    // The instrument observes s_live; it exists once this class is initialized, that is once a session is created.
    internal static readonly ObservableUpDownCounter<int> SessionCount = Meter.CreateObservableUpDownCounter(
        SessionCountName,
        () => Volatile.Read(ref s_live),
        "{session}",
        "ONNX Runtime sessions created by OnnxSessionFactory and not yet disposed.");

    internal static void SessionCreated() => Interlocked.Increment(ref s_live);

    internal static void SessionDisposed() => Interlocked.Decrement(ref s_live);
}
