using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace MLNetInference.Serving.Tests;

/// <summary>
/// Records the pool's own batch-size histogram (<see cref="PoolMetrics.BatchSizeName"/>) for one model: the measurements
/// whose tags carry the model's name, whatever the tag is called.
/// </summary>
internal sealed class BatchSizeRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<int> _sizes = new();

    public BatchSizeRecorder(string modelName)
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PoolMetrics.MeterName && instrument.Name == PoolMetrics.BatchSizeName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Value is string s && s == modelName)
                {
                    _sizes.Enqueue(value);
                    return;
                }
            }
        });
        _listener.Start();
    }

    /// <summary>Gets the size of every batch dispatched so far.</summary>
    public IReadOnlyList<int> Sizes => [.. _sizes];

    /// <summary>Gets the rows dispatched so far: the requests that reached a model worker.</summary>
    public int Rows => _sizes.Sum();

    public void Dispose() => _listener.Dispose();
}
