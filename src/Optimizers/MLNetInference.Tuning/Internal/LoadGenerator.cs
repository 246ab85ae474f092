using System.Diagnostics;
using System.Threading.Channels;
using MLNetInference.Runtime;

namespace MLNetInference.Tuning.Internal;

/// <summary>
/// A closed-loop load at a fixed concurrency through a small dynamic batcher with the pool's policy: a batch leaves
/// when it holds the max batch size or its oldest request has waited the max delay; one worker (and session) per
/// slot; each batch is one <see cref="BatchRunner"/> call, padded to its longest row.
/// </summary>
internal static class LoadGenerator
{
    public static PerformanceResult Run(IReadOnlyList<BatchRunner> workers, IReadOnlyList<RowTensor[]> rows, int concurrency, int maxBatch, TimeSpan maxDelay, TimeSpan duration, CancellationToken cancellationToken)
    {
        var queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false, AllowSynchronousContinuations = false });
        var threads = new Thread[workers.Count];
        Exception? failure = null;
        for (var w = 0; w < workers.Count; w++)
        {
            var runner = workers[w];
            threads[w] = new Thread(() =>
            {
                Work(runner, queue.Reader, rows, maxBatch, maxDelay, ex => Interlocked.CompareExchange(ref failure, ex, null));
            })
            {
                IsBackground = true,
                Name = $"tuner worker {w}",
            };
            threads[w].Start();
        }

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
                    var pending = new Pending(index, begin);
                    await queue.Writer.WriteAsync(pending).ConfigureAwait(false);
                    await pending.Done.Task.ConfigureAwait(false);
                    list.Add(Stopwatch.GetElapsedTime(begin).TotalMilliseconds);
                }
            });
        }

        try
        {
            Task.WaitAll(clients);
        }
        catch (AggregateException) when (Volatile.Read(ref failure) is not null)
        {
            // Reported below with the batch's own error.
        }

        var elapsed = Stopwatch.GetElapsedTime(first).TotalSeconds;
        queue.Writer.Complete();
        foreach (var thread in threads)
        {
            thread.Join();
        }

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

    private static void Work(BatchRunner runner, ChannelReader<Pending> reader, IReadOnlyList<RowTensor[]> rows, int maxBatch, TimeSpan maxDelay, Action<Exception> fail)
    {
        var batch = new List<Pending>(maxBatch);
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            if (!reader.TryRead(out var oldest))
            {
                continue;
            }

            batch.Clear();
            batch.Add(oldest);
            var deadline = oldest.Start + (long)(maxDelay.TotalSeconds * Stopwatch.Frequency);
            while (batch.Count < maxBatch)
            {
                if (reader.TryRead(out var next))
                {
                    batch.Add(next);
                    continue;
                }

                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                if (wait <= TimeSpan.Zero)
                {
                    break;
                }

                var ready = reader.WaitToReadAsync().AsTask();
                if (!ready.Wait(wait) || !ready.Result)
                {
                    break;
                }
            }

            var inputCount = rows[0].Length;
            var tensors = new RowTensor[batch.Count * inputCount];
            for (var i = 0; i < batch.Count; i++)
            {
                rows[batch[i].Row].CopyTo(tensors, i * inputCount);
            }

            try
            {
                using var result = runner.Run(tensors);
            }
            catch (Exception ex)
            {
                foreach (var pending in batch)
                {
                    pending.Done.TrySetException(ex);
                }

                fail(ex);
                continue;
            }

            foreach (var pending in batch)
            {
                pending.Done.TrySetResult();
            }
        }
    }

    private static double Percentile(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    private sealed class Pending(int row, long start)
    {
        public int Row { get; } = row;

        public long Start { get; } = start;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
