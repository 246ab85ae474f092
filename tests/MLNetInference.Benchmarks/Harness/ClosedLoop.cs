using System.Diagnostics;

namespace MLNetInference.Benchmarks.Harness;

/// <summary>
/// A closed-loop load test: each of N clients sends its next request as soon as the previous one completes, for a
/// fixed time, then waits for its last request. Throughput is every completed request over the time from the start
/// until the last one completes: counting only what completes within the fixed time would read zero for a variant
/// whose batches take longer than a slice, and the drain at the end costs every variant alike.
/// </summary>
internal static class ClosedLoop
{
    /// <summary>Runs synchronous clients, one dedicated thread each (a blocking call would starve the thread pool).</summary>
    /// <param name="clients">The number of clients.</param>
    /// <param name="duration">How long clients keep sending new requests.</param>
    /// <param name="call">One request; the argument is a global sequence number that picks the input.</param>
    /// <param name="latencies">Receives each request's latency in milliseconds.</param>
    public static SliceResult RunThreads(int clients, TimeSpan duration, Action<long> call, List<double> latencies)
    {
        var perClient = new List<double>[clients];
        var completed = new int[clients];
        var sequence = -1L;
        using var start = new ManualResetEventSlim(false);
        var deadline = 0L;
        var threads = new Thread[clients];
        for (var c = 0; c < clients; c++)
        {
            var client = c;
            perClient[client] = [];
            threads[client] = new Thread(() =>
            {
                start.Wait();
                var end = Volatile.Read(ref deadline);
                while (true)
                {
                    var begin = Stopwatch.GetTimestamp();
                    if (begin >= end)
                    {
                        break;
                    }

                    call(Interlocked.Increment(ref sequence));
                    perClient[client].Add(Stopwatch.GetElapsedTime(begin).TotalMilliseconds);
                    completed[client]++;
                }
            })
            {
                IsBackground = true,
                Name = $"client {client}",
            };
            threads[client].Start();
        }

        var first = Stopwatch.GetTimestamp();
        Volatile.Write(ref deadline, first + (long)(duration.TotalSeconds * Stopwatch.Frequency));
        start.Set();
        foreach (var thread in threads)
        {
            thread.Join();
        }

        return Collect(perClient, completed, Stopwatch.GetElapsedTime(first), latencies);
    }

    /// <summary>Runs asynchronous clients as tasks on the thread pool.</summary>
    /// <param name="clients">The number of clients.</param>
    /// <param name="duration">How long clients keep sending new requests.</param>
    /// <param name="call">One request; the argument is a global sequence number that picks the input.</param>
    /// <param name="latencies">Receives each request's latency in milliseconds.</param>
    public static SliceResult RunTasks(int clients, TimeSpan duration, Func<long, Task> call, List<double> latencies)
    {
        var perClient = new List<double>[clients];
        var completed = new int[clients];
        var sequence = -1L;
        var first = Stopwatch.GetTimestamp();
        var end = first + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var tasks = new Task[clients];
        for (var c = 0; c < clients; c++)
        {
            var client = c;
            perClient[client] = [];
            tasks[client] = Task.Run(async () =>
            {
                while (true)
                {
                    var begin = Stopwatch.GetTimestamp();
                    if (begin >= end)
                    {
                        break;
                    }

                    await call(Interlocked.Increment(ref sequence)).ConfigureAwait(false);
                    perClient[client].Add(Stopwatch.GetElapsedTime(begin).TotalMilliseconds);
                    completed[client]++;
                }
            });
        }

        Task.WaitAll(tasks);
        return Collect(perClient, completed, Stopwatch.GetElapsedTime(first), latencies);
    }

    private static SliceResult Collect(List<double>[] perClient, int[] completed, TimeSpan elapsed, List<double> latencies)
    {
        foreach (var list in perClient)
        {
            latencies.AddRange(list);
        }

        return new SliceResult(completed.Sum(), elapsed.TotalSeconds);
    }
}
