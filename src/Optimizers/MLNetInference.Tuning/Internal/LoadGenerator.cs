using System.Diagnostics;
using MLNetInference.Runtime;
using MLNetInference.Serving;
using MLNetInference.Serving.Internal;

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
        var lengths = rows.Select(RowLength).ToArray();
        var options = new DynamicBatchingOptions
        {
            MaxBatchSize = maxBatch,
            MaxQueueDelay = maxDelay,
            MaxQueueLength = Math.Max(1024, concurrency * 2),
            RequestTimeout = Timeout.InfiniteTimeSpan,
            GroupByLength = true,
        };
        var batcher = new DynamicBatcher<int, bool>("tuning", options, row => lengths[row]);
        await using var _ = batcher.ConfigureAwait(false);
        batcher.SwapExecutors(new ExecutorSet<int, bool>([.. workers.Select(w => new RowExecutor(w, rows))], owner: null, "tuning workers"));

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
                        await batcher.EnqueueAsync(index, Timeout.InfiniteTimeSpan, CancellationToken.None).ConfigureAwait(false);
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

    /// <summary>A row's length for grouping: its longest input, in elements (tokens for a text model).</summary>
    private static int RowLength(RowTensor[] row) => row.Length == 0 ? 0 : row.Max(t => t.Length);

    private static double Percentile(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    /// <summary>Runs a batch of sample rows, named by their index, as one <see cref="BatchRunner"/> call.</summary>
    private sealed class RowExecutor(BatchRunner runner, IReadOnlyList<RowTensor[]> rows) : IBatchExecutor<int, bool>
    {
        public void Execute(ReadOnlySpan<int> requests, Span<bool> results)
        {
            var inputCount = rows[0].Length;
            var tensors = new RowTensor[requests.Length * inputCount];
            for (var i = 0; i < requests.Length; i++)
            {
                rows[requests[i]].CopyTo(tensors, i * inputCount);
            }

            using (runner.Run(tensors))
            {
            }

            results.Fill(true);
        }
    }
}
