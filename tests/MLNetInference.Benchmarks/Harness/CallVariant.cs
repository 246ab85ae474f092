using System.Diagnostics;

namespace MLNetInference.Benchmarks.Harness;

/// <summary>A variant whose slice is a fixed number of calls, each timed as one latency.</summary>
internal static class CallVariant
{
    public static BenchmarkVariant Create(string name, string? baseline, Action call, int callsPerSlice, int rowsPerCall) => new()
    {
        Name = name,
        BaselineName = baseline,
        RunSlice = (_, latencies) =>
        {
            for (var c = 0; c < callsPerSlice; c++)
            {
                var start = Stopwatch.GetTimestamp();
                call();
                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            return callsPerSlice * rowsPerCall;
        },
    };
}
