using System.Diagnostics;
using MLNetInference.Core.Runtime;
using MLNetInference.Serving;

namespace MLNetInference.Tuning.Internal;

/// <summary>
/// A closed-loop load at a fixed concurrency through the pool's own dynamic batcher (max batch, max delay, grouping by
/// length, sharing the queue among idle workers), with one worker and session per slot; each batch is one
/// <see cref="BatchRunner"/> call, padded to its longest row. What the tuner times is therefore what the pool will do
/// with the same settings, less the typed request mapping.
/// </summary>
internal static class LoadGenerator
{
    public static PerformanceResult Run(IReadOnlyList<BatchRunner> workers, IReadOnlyList<RowTensor[]> rows, int concurrency, int maxBatch, TimeSpan maxDelay, TimeSpan duration, CancellationToken cancellationToken)
    {
        return RunAsync(workers, rows, concurrency, maxBatch, maxDelay, duration, cancellationToken).GetAwaiter().GetResult();
    }

    private static async Task<PerformanceResult> RunAsync(IReadOnlyList<BatchRunner> workers, IReadOnlyList<RowTensor[]> rows, int concurrency, int maxBatch, TimeSpan maxDelay, TimeSpan duration, CancellationToken cancellationToken)
    {
        var options = new DynamicBatchingOptions
        {
            MaxBatchSize = maxBatch,
            MaxQueueDelay = maxDelay,
            MaxQueueLength = Math.Max(1024, concurrency * 2),
            RequestTimeout = Timeout.InfiniteTimeSpan,
            GroupByLength = true,
        };
        var batcher = new RowBatcher<bool>("tuning", workers, static (_, _) => true, options);
        await using var _ = batcher.ConfigureAwait(false);

        Exception? failure = null;
        var latencies = new List<double>[concurrency];
        var sequence = -1L;
        var first = Stopwatch.GetTimestamp();
        var end = first + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var clients = new Task[concurrency];
        for (var c = 0; c < concurrency; c++)
        {
            var list = latencies[c] = [];
            clients[c] = Task.Run(async () =>
            {
                while (!cancellationToken.IsCancellationRequested && Volatile.Read(ref failure) is null)
                {
                    var begin = Stopwatch.GetTimestamp();
                    if (begin >= end)
                    {
                        break;
                    }

                    var index = (int)(Interlocked.Increment(ref sequence) % rows.Count);
                    try
                    {
                        await batcher.EnqueueAsync(rows[index], CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        Interlocked.CompareExchange(ref failure, ex, null);
                        break;
                    }

                    list.Add(Stopwatch.GetElapsedTime(begin).TotalMilliseconds);
                }
            });
        }

        await Task.WhenAll(clients).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(first).TotalSeconds;
        if (failure is not null)
        {
            throw new InvalidOperationException($"A batch failed under load: {failure.Message}", failure);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var all = latencies.SelectMany(l => l).Order().ToArray();
        if (all.Length == 0)
        {
            throw new InvalidOperationException("No request completed during the timing; give the trial more time.");
        }

        return new PerformanceResult(all.Length / elapsed, Percentile(all, 0.50), Percentile(all, 0.99), all.Length, elapsed);
    }

    private static double Percentile(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
}
