using System.Diagnostics;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Core.Runtime;
using MLNetInference.Models;
using MLNetInference.Tests.Shared;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// Hot reload under load: the MiniLM pool (the zip EmbedSentences + BatchedModel.Save writes) is reloaded 50 times in
/// a row while closed-loop clients keep sending real sentences, and the process's peak RSS after the first 5 reloads
/// is set against the peak after all 50. Memory that stays flat (native ONNX Runtime sessions included) keeps the
/// ratio near 1; a reload that leaks a session's weights adds about 100 MB each time.
/// </summary>
internal sealed class ReloadWorkload : IWorkload
{
    private const int Reloads = 50;
    private const int Checkpoint = 5;
    private const int SentenceCount = 1000;

    public string Name => "reload";

    public string Title => "Reload: the MiniLM pool reloaded 50 times under load, peak RSS after 5 and after 50 reloads";

    public IReadOnlyList<BenchmarkRecord> Run(bool quick, TextWriter progress)
    {
        var clients = quick ? 8 : 16;
        var rows = SentenceCorpus.Load(SentenceCount).Select(s => new TextRow { Text = s }).ToArray();
        var zip = MiniLmPools.BuildZip(Path.Combine(Path.GetTempPath(), $"mlnetinference-reload-{Environment.ProcessId}.zip"));
        var (provider, pool) = MiniLmPools.Create(zip, _ => { });
        try
        {
            pool.Predict(rows[0]);
            var phases = new[] { new Phase(), new Phase() };
            var phase = 0;
            var failures = 0;
            var sequence = -1L;
            using var stop = new CancellationTokenSource();
            var load = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var current = phases[Volatile.Read(ref phase)];
                    var begin = Stopwatch.GetTimestamp();
                    try
                    {
                        await pool.PredictAsync(rows[Interlocked.Increment(ref sequence) % SentenceCount]).ConfigureAwait(false);
                        current.Add(Stopwatch.GetElapsedTime(begin).TotalMilliseconds);
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            })).ToArray();

            var reloadMs = new List<double>();
            var checkpoints = new List<(double PeakMb, double CurrentMb, int Live)>();
            phases[0].Start();
            for (var i = 1; i <= Reloads; i++)
            {
                var clock = Stopwatch.StartNew();
                if (!pool.ReloadAsync(string.Empty).GetAwaiter().GetResult())
                {
                    throw new InvalidOperationException($"Reload {i} failed; the pool kept the previous version.");
                }

                reloadMs.Add(clock.Elapsed.TotalMilliseconds);
                if (i % Checkpoint == 0)
                {
                    progress.WriteLine($"  reload {i}: peak RSS {ProcessMemory.PeakRssMb():F0} MB, current {ProcessMemory.CurrentRssMb():F0} MB, live sessions {LiveSessions.Count()}, managed heap {GC.GetGCMemoryInfo().HeapSizeBytes / (1024.0 * 1024.0):F0} MB, gen2 GCs {GC.CollectionCount(2)}, last reload {clock.Elapsed.TotalSeconds:F1} s");
                }

                if (i == Checkpoint || i == Reloads)
                {
                    phases[i == Checkpoint ? 0 : 1].Stop();
                    checkpoints.Add((ProcessMemory.PeakRssMb(), ProcessMemory.CurrentRssMb(), LiveSessions.Count()));
                    if (i == Checkpoint)
                    {
                        phases[1].Start();
                        Volatile.Write(ref phase, 1);
                    }
                }
            }

            stop.Cancel();
            Task.WaitAll(load);
            var (peak5, current5, live5) = checkpoints[0];
            var (peak50, current50, live50) = checkpoints[1];
            var note = $"{clients} closed-loop async clients on {SentenceCount} corpus sentences throughout; {Reloads} reloads in a row (PredictionEnginePool.ReloadAsync, " +
                $"pool defaults: one CPU device), each {Statistics.Median(reloadMs) / 1000:F1} s median, {reloadMs.Max() / 1000:F1} s max; no forced GC; " +
                $"current RSS {current5:F0} MB after {Checkpoint} reloads, {current50:F0} MB after {Reloads}; live ONNX sessions (metric {OnnxSessionMetrics.SessionCountName}) " +
                $"{live5} and {live50}; {failures} failed requests; peak RSS is process-wide (VmHWM) at each checkpoint; rows/s and latencies are those of the requests in each phase.";
            return
            [
                phases[0].ToRecord(Name, $"after-{Checkpoint}-reloads", baseline: true, clients, peak5, null, note),
                phases[1].ToRecord(Name, $"after-{Reloads}-reloads", baseline: false, clients, peak50, new Dictionary<string, double> { [$"after-{Checkpoint}-reloads"] = peak50 / peak5 }, note),
            ];
        }
        finally
        {
            provider.Dispose();
            File.Delete(zip);
        }
    }

    /// <summary>The requests completed during one phase of reloads.</summary>
    private sealed class Phase
    {
        private readonly List<double> _latencies = [];
        private long _start;
        private long _end;

        public void Start() => _start = Stopwatch.GetTimestamp();

        public void Stop() => _end = Stopwatch.GetTimestamp();

        public void Add(double milliseconds)
        {
            lock (_latencies)
            {
                _latencies.Add(milliseconds);
            }
        }

        public BenchmarkRecord ToRecord(string workload, string variant, bool baseline, int clients, double peakRssMb, IReadOnlyDictionary<string, double>? ratio, string note)
        {
            List<double> latencies;
            lock (_latencies)
            {
                latencies = [.. _latencies];
            }

            var seconds = Stopwatch.GetElapsedTime(_start, _end).TotalSeconds;
            return new BenchmarkRecord(
                workload,
                variant,
                baseline,
                clients,
                latencies.Count / seconds,
                latencies.Count == 0 ? null : Statistics.Median(latencies),
                latencies.Count == 0 ? null : Statistics.Percentile(latencies, 99),
                peakRssMb,
                ratio,
                note);
        }
    }
}
