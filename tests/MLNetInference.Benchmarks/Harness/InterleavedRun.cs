using System.Diagnostics;

namespace MLNetInference.Benchmarks.Harness;

/// <summary>
/// Runs variants side by side in one process: one warm-up slice each, then round after round of one short
/// slice per variant, alternating the order every round so that drift on a shared machine hits all sides alike.
/// </summary>
internal sealed class InterleavedRun
{
    private readonly IReadOnlyList<BenchmarkVariant> _variants;

    public InterleavedRun(IReadOnlyList<BenchmarkVariant> variants)
    {
        ArgumentNullException.ThrowIfNull(variants);
        _variants = variants;
    }

    /// <summary>Runs <paramref name="rounds"/> rounds and returns one record per variant.</summary>
    /// <remarks>
    /// Throughput is the median of the per-round rows/s; the ratio is the median of the per-round paired ratios
    /// against the baseline; latencies pool every call of every round.
    /// </remarks>
    public IReadOnlyList<BenchmarkRecord> Execute(string workload, int rounds, Func<BenchmarkVariant, string> note, TextWriter progress)
    {
        var count = _variants.Count;
        var throughput = new List<double>[count];
        var latencies = new List<double>[count];
        var peak = new double[count];
        for (var v = 0; v < count; v++)
        {
            throughput[v] = new List<double>(rounds);
            latencies[v] = [];
            progress.WriteLine($"  warm-up {_variants[v].Name}");
            RunOne(_variants[v], -1, []);
        }

        var total = Stopwatch.StartNew();
        for (var round = 0; round < rounds; round++)
        {
            for (var k = 0; k < count; k++)
            {
                var v = round % 2 == 0 ? k : count - 1 - k;
                var (rows, seconds) = RunOne(_variants[v], round, latencies[v]);
                throughput[v].Add(rows / seconds);
                peak[v] = Math.Max(peak[v], ProcessMemory.PeakRssMb());
            }

            progress.WriteLine($"  round {round + 1}/{rounds} ({total.Elapsed.TotalSeconds:F0} s): " +
                string.Join(", ", _variants.Select((x, i) => $"{x.Name} {throughput[i][^1]:F1} rows/s")));
        }

        var records = new List<BenchmarkRecord>(count);
        for (var v = 0; v < count; v++)
        {
            var variant = _variants[v];
            Dictionary<string, double>? ratio = null;
            var against = variant.BaselineName is { } baselineName ? variant.AlsoComparedWith.Prepend(baselineName) : variant.AlsoComparedWith;
            foreach (var other in against)
            {
                var b = IndexOf(other);
                var paired = new List<double>(rounds);
                for (var round = 0; round < rounds; round++)
                {
                    paired.Add(throughput[v][round] / throughput[b][round]);
                }

                ratio ??= [];
                ratio[other] = Math.Round(Statistics.Median(paired), 3);
            }

            var hasLatency = latencies[v].Count > 0;
            records.Add(new BenchmarkRecord(
                workload,
                variant.Name,
                variant.IsBaseline,
                variant.Clients,
                Math.Round(Statistics.Median(throughput[v]), 2),
                hasLatency ? Math.Round(Statistics.Percentile(latencies[v], 50), 2) : null,
                hasLatency ? Math.Round(Statistics.Percentile(latencies[v], 99), 2) : null,
                Math.Round(peak[v], 1),
                ratio,
                note(variant)));
        }

        return records;
    }

    private static SliceResult RunOne(BenchmarkVariant variant, int round, List<double> latencies)
    {
        if (variant.RunTimedSlice is { } timed)
        {
            return timed(round, latencies);
        }

        var run = variant.RunSlice ?? throw new InvalidOperationException($"The variant '{variant.Name}' has no slice to run.");
        var start = Stopwatch.GetTimestamp();
        var rows = run(round, latencies);
        return new SliceResult(rows, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    private int IndexOf(string name)
    {
        for (var i = 0; i < _variants.Count; i++)
        {
            if (_variants[i].Name == name)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"The baseline variant '{name}' is not part of this run.");
    }
}
