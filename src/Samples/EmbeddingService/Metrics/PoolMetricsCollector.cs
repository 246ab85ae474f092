using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using MLNetInference.Samples.EmbeddingService.Internal;
using MLNetInference.Serving;

namespace MLNetInference.Samples.EmbeddingService.Metrics;

/// <summary>
/// Listens to the pool's meter (<see cref="PoolMetrics.MeterName"/>) with a <see cref="MeterListener"/> and keeps
/// running totals per model for <c>GET /metrics</c>: a stand-in for an OpenTelemetry exporter that needs no package.
/// </summary>
/// <remarks>
/// The meter is process-wide, so every pool in the process is counted, and only what is measured after the
/// collector starts: create it before the pool (the app resolves it at startup).
/// </remarks>
public sealed class PoolMetricsCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, ModelMetricsAggregate> _models = new(StringComparer.Ordinal);

    public PoolMetricsCollector()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == PoolMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>Gets the totals of every model seen so far, by model name.</summary>
    public IReadOnlyDictionary<string, ModelMetricsSnapshot> Snapshot()
    {
        var result = new SortedDictionary<string, ModelMetricsSnapshot>(StringComparer.Ordinal);
        foreach (var (name, model) in _models)
        {
            result[name] = model.Snapshot();
        }

        return result;
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string model = "(unknown)", reason = "(none)";
        foreach (var tag in tags)
        {
            if (tag.Key == "model")
            {
                model = tag.Value?.ToString() ?? model;
            }
            else if (tag.Key == "reason")
            {
                reason = tag.Value?.ToString() ?? reason;
            }
        }

        var totals = _models.GetOrAdd(model, static _ => new ModelMetricsAggregate());
        switch (instrument.Name)
        {
            case PoolMetrics.QueueLengthName:
                totals.AddQueueLength((long)value);
                break;
            case PoolMetrics.BatchSizeName:
                totals.BatchSize.Record(value);
                totals.BatchSizeCounts.AddOrUpdate((int)value, 1, static (_, n) => n + 1);
                break;
            case PoolMetrics.QueueWaitName:
                totals.QueueWait.Record(value);
                break;
            case PoolMetrics.InferenceTimeName:
                totals.Inference.Record(value);
                break;
            case PoolMetrics.RejectionsName:
                totals.Rejections.AddOrUpdate(reason, (long)value, (_, n) => n + (long)value);
                break;
            case PoolMetrics.FailuresName:
                totals.Failures.AddOrUpdate(reason, (long)value, (_, n) => n + (long)value);
                break;
        }
    }
}
