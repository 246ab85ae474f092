using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>
/// Per-model counters in the shape of Triton's statistics extension. Success and failure are timed by the server per
/// request; queue and compute times come from the pool's own meter (<see cref="PoolMetrics"/>): the queue wait of
/// each row, and each batch's run time, which every row of the batch is charged with, as Triton does.
/// </summary>
internal sealed class InferenceStatistics : IDisposable
{
    [ThreadStatic]
    private static int t_batchSize;

    [ThreadStatic]
    private static string? t_batchModel;

    private readonly ConcurrentDictionary<string, ModelStatistics> _models = new(StringComparer.Ordinal);
    private readonly MeterListener _listener;
    private readonly TimeProvider _time;

    public InferenceStatistics(TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == PoolMetrics.MeterName
                    && instrument.Name is PoolMetrics.QueueDurationName or PoolMetrics.InferenceDurationName or PoolMetrics.BatchSizeName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<double>(OnDouble);
        _listener.SetMeasurementEventCallback<int>(OnInt);
        _listener.Start();
    }

    public ModelStatistics For(string metricsName) => _models.GetOrAdd(metricsName, static _ => new ModelStatistics());

    public void RecordRequest(IInferenceModel model, bool success, long elapsedTicks, int rows)
    {
        var stats = For(model.MetricsName);
        var ns = (long)(elapsedTicks * (1e9 / _time.TimestampFrequency));
        if (success)
        {
            Interlocked.Increment(ref stats.SuccessCount);
            Interlocked.Add(ref stats.SuccessNs, ns);
            Interlocked.Add(ref stats.InferenceCount, rows);
            Interlocked.Exchange(ref stats.LastInferenceMs, _time.GetUtcNow().ToUnixTimeMilliseconds());
        }
        else
        {
            Interlocked.Increment(ref stats.FailCount);
            Interlocked.Add(ref stats.FailNs, ns);
        }
    }

    public void Dispose() => _listener.Dispose();

    private static string? ModelTag(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == PoolMetrics.ModelNameAttribute)
            {
                return tag.Value as string;
            }
        }

        return null;
    }

    private void OnInt(Instrument instrument, int value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        // The batch size is recorded on the worker thread just before the batch runs; its run time follows on the same thread.
        t_batchSize = value;
        t_batchModel = ModelTag(tags);
    }

    private void OnDouble(Instrument instrument, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (ModelTag(tags) is not { } model || !_models.TryGetValue(model, out var stats))
        {
            return;
        }

        var ns = (long)(seconds * 1e9);
        if (instrument.Name == PoolMetrics.QueueDurationName)
        {
            Interlocked.Increment(ref stats.QueueCount);
            Interlocked.Add(ref stats.QueueNs, ns);
            return;
        }

        var size = t_batchModel == model && t_batchSize > 0 ? t_batchSize : 1;
        t_batchSize = 0;
        Interlocked.Increment(ref stats.ExecutionCount);
        Interlocked.Add(ref stats.ComputeCount, size);
        Interlocked.Add(ref stats.ComputeNs, ns * size);
        var batch = stats.Batches.GetOrAdd(size, static _ => new BatchStatistics());
        Interlocked.Increment(ref batch.Count);
        Interlocked.Add(ref batch.Ns, ns);
    }
}

/// <summary>One model's counters (fields, updated with <see cref="Interlocked"/>).</summary>
internal sealed class ModelStatistics
{
#pragma warning disable SA1401, CA1051 // Counters are fields so that Interlocked can update them.
    public long SuccessCount;
    public long SuccessNs;
    public long FailCount;
    public long FailNs;
    public long QueueCount;
    public long QueueNs;
    public long ComputeCount;
    public long ComputeNs;
    public long InferenceCount;
    public long ExecutionCount;
    public long LastInferenceMs;
#pragma warning restore SA1401, CA1051

    public ConcurrentDictionary<int, BatchStatistics> Batches { get; } = new();
}

/// <summary>The batches of one size: how many ran and their cumulative run time.</summary>
internal sealed class BatchStatistics
{
#pragma warning disable SA1401, CA1051
    public long Count;
    public long Ns;
#pragma warning restore SA1401, CA1051
}
