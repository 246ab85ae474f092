using MLNetInference.Samples.EmbeddingService.Metrics;

namespace MLNetInference.Samples.EmbeddingService.Internal;

/// <summary>Count, sum, min and max of recorded values; thread-safe.</summary>
internal sealed class HistogramAggregate
{
    private readonly Lock _lock = new();
    private long _count;
    private double _sum;
    private double _min = double.PositiveInfinity;
    private double _max = double.NegativeInfinity;

    public void Record(double value)
    {
        lock (_lock)
        {
            _count++;
            _sum += value;
            _min = Math.Min(_min, value);
            _max = Math.Max(_max, value);
        }
    }

    public HistogramSummary Summary()
    {
        lock (_lock)
        {
            return _count == 0
                ? new HistogramSummary(0, 0, 0, 0, 0)
                : new HistogramSummary(_count, _sum, _min, _max, _sum / _count);
        }
    }
}
