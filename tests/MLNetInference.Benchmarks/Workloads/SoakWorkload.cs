using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Models;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// The soak (issue 13): the ASP.NET embedding sample as a child process on real Kestrel over loopback, 64 closed-loop
/// HTTP clients on <c>/embed</c> and <c>/embed/batch</c>, the model zip replaced every 30 s (hot reload), and the
/// child's RSS (<c>/proc/&lt;pid&gt;/status</c>) and managed heap (<c>/diagnostics/memory</c>) sampled every 10 s.
/// Writes <c>soak.json</c> and <c>soak.png</c> (RSS, managed heap and p99 over time) and checks the pass criteria:
/// no failed request, RSS growth after the warm-up at most 5%, the last window's p99 within 1.5× of the second's.
/// </summary>
internal sealed partial class SoakWorkload : IWorkload
{
    private const int Clients = 64;
    private const int BatchClientEvery = 4;
    private const int TextsPerBatch = 8;
    private const int SentenceCount = 1000;
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ReplaceEvery = SecondsFromEnvironment("MLNETINFERENCE_SOAK_RELOAD_SECONDS") ?? TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StartupGuard = TimeSpan.FromMinutes(5);

    public string Name => "soak";

    public string Title => "Soak: the ASP.NET sample under 64 HTTP clients with a model reload every 30 s";

    public IReadOnlyList<BenchmarkRecord> Run(bool quick, TextWriter progress)
    {
        // MLNETINFERENCE_SOAK_SECONDS and MLNETINFERENCE_SOAK_RELOAD_SECONDS override the duration and the reload
        // interval, for a longer run or for reloads packed closer together when hunting memory growth.
        var duration = SecondsFromEnvironment("MLNETINFERENCE_SOAK_SECONDS") ?? (quick ? TimeSpan.FromSeconds(60) : TimeSpan.FromMinutes(10));

        // The warm-up before RSS growth is judged, and the windows whose p99 are compared: 2 minutes and 1 minute in
        // the full soak, the same fractions of a quick one.
        var warmUp = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(2).Ticks, duration.Ticks / 5));
        var window = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(1).Ticks, duration.Ticks / 10));
        return RunAsync(duration, warmUp, window, progress).GetAwaiter().GetResult();
    }

    private async Task<IReadOnlyList<BenchmarkRecord>> RunAsync(TimeSpan duration, TimeSpan warmUp, TimeSpan window, TextWriter progress)
    {
        var root = RepositoryRoot();
        var outputDirectory = Environment.GetEnvironmentVariable("MLNETINFERENCE_SOAK_OUT") is { Length: > 0 } o ? o : Directory.GetCurrentDirectory();
        Directory.CreateDirectory(outputDirectory);
        var work = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"mlnetinference-soak-{Environment.ProcessId}")).FullName;
        try
        {
            progress.WriteLine("  building the sample (Release) and the embedder zip");
            var sampleDll = await BuildSampleAsync(root);
            var source = MiniLmPools.BuildZip(Path.Combine(work, "source.zip"));
            var served = Path.Combine(work, "minilm-embedder.zip");
            File.Copy(source, served);

            using var child = StartSample(sampleDll, served);
            var log = new ConcurrentQueue<string>();
            var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var reloads = 0;
            child.OutputDataReceived += (_, e) => OnOutput(e.Data);
            child.ErrorDataReceived += (_, e) => OnOutput(e.Data);
            child.BeginOutputReadLine();
            child.BeginErrorReadLine();
            void OnOutput(string? line)
            {
                if (line is null)
                {
                    return;
                }

                log.Enqueue(line);
                if (ListeningPattern().Match(line) is { Success: true } match)
                {
                    listening.TrySetResult(match.Groups[1].Value);
                }

                if (line.Contains("reloaded from", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref reloads);
                }
            }

            try
            {
                var address = await listening.Task.WaitAsync(StartupGuard);
                progress.WriteLine($"  sample pid {child.Id} listening on {address}; soak for {duration.TotalMinutes:F1} min");
                var result = await SoakAsync(child, new Uri(address), source, served, duration, () => Volatile.Read(ref reloads), progress);
                var verdict = Judge(result, duration, warmUp, window);
                var jsonPath = Path.Combine(outputDirectory, "soak.json");
                var pngPath = Path.Combine(outputDirectory, "soak.png");
                await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(new { settings = Settings(duration, warmUp, window), verdict, samples = result.Samples, replacements = result.Replacements }, new JsonSerializerOptions { WriteIndented = true }));
                Plot(result, pngPath, duration);
                WriteMarkdown(result, verdict, duration, jsonPath, pngPath);
                return [Record(result, verdict, duration)];
            }
            catch
            {
                foreach (var line in log.TakeLast(40))
                {
                    progress.WriteLine($"  sample> {line}");
                }

                throw;
            }
            finally
            {
                if (!child.HasExited)
                {
                    child.Kill(entireProcessTree: true);
                    await child.WaitForExitAsync();
                }
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<SoakResult> SoakAsync(Process child, Uri address, string source, string served, TimeSpan duration, Func<int> reloads, TextWriter progress)
    {
        var texts = SentenceCorpus.Load(SentenceCount);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        var requests = new ConcurrentQueue<RequestRecord>();
        var sequence = -1L;
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();

        async Task Client(int client)
        {
            var batch = client % BatchClientEvery == BatchClientEvery - 1;
            while (!stop.IsCancellationRequested)
            {
                var n = Interlocked.Increment(ref sequence);
                var begin = clock.Elapsed;
                HttpStatusCode? status = null;
                string? error = null;
                try
                {
                    using var response = batch
                        ? await http.PostAsJsonAsync("/embed/batch", new { texts = Enumerable.Range(0, TextsPerBatch).Select(k => texts[(int)((n * TextsPerBatch) + k) % SentenceCount]).ToArray() })
                        : await http.PostAsJsonAsync("/embed", new { text = texts[(int)(n % SentenceCount)] });
                    status = response.StatusCode;
                    var body = await response.Content.ReadAsByteArrayAsync();
                    if (!response.IsSuccessStatusCode)
                    {
                        error = $"{(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 300)))}";
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                {
                    error = $"{ex.GetType().Name}: {ex.Message}";
                }

                var end = clock.Elapsed;
                requests.Enqueue(new RequestRecord(end.TotalSeconds, (end - begin).TotalMilliseconds, batch ? TextsPerBatch : 1, batch, status, error));
            }
        }

        var samples = new List<Sample>();
        var replacements = new List<double>();
        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(() => Client(c))).ToArray();
        var nextSample = SampleEvery;
        var nextReplace = ReplaceEvery;
        var seen = new List<RequestRecord>();
        while (clock.Elapsed < duration)
        {
            var wait = Min(nextSample, nextReplace, duration) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            if (child.HasExited)
            {
                throw new InvalidOperationException($"The sample exited with code {child.ExitCode} after {clock.Elapsed.TotalSeconds:F0} s.");
            }

            if (clock.Elapsed >= nextReplace && nextReplace < duration)
            {
                // Replace the served zip atomically: a copy next to it, then a rename over it, as a deployment would.
                var incoming = served + ".incoming";
                File.Copy(source, incoming, overwrite: true);
                File.Move(incoming, served, overwrite: true);
                replacements.Add(clock.Elapsed.TotalSeconds);
                nextReplace += ReplaceEvery;
            }

            if (clock.Elapsed >= nextSample)
            {
                var at = clock.Elapsed.TotalSeconds;
                var from = at - SampleEvery.TotalSeconds;
                while (requests.TryDequeue(out var r))
                {
                    seen.Add(r);
                }

                var inWindow = seen.Where(r => r.EndSeconds > from && r.EndSeconds <= at).ToList();
                var latencies = inWindow.Select(r => r.Milliseconds).ToList();
                var memory = await ReadMemoryAsync(http);
                var sample = new Sample(
                    Math.Round(at, 1),
                    Math.Round(ProcessMemory.CurrentRssMbOf(child.Id), 1),
                    memory is null ? null : Math.Round(memory.ManagedHeapBytes / (1024.0 * 1024.0), 1),
                    memory is null ? null : Math.Round(memory.CommittedBytes / (1024.0 * 1024.0), 1),
                    memory?.NativeHeapInUseBytes is { } inUse ? Math.Round(inUse / (1024.0 * 1024.0), 1) : null,
                    memory?.NativeHeapFreeBytes is { } free ? Math.Round(free / (1024.0 * 1024.0), 1) : null,
                    memory?.ThreadCount,
                    inWindow.Count,
                    inWindow.Sum(r => r.Rows),
                    inWindow.Count(r => r.Error is not null && r.Status != HttpStatusCode.TooManyRequests),
                    inWindow.Count(r => r.Status == HttpStatusCode.TooManyRequests),
                    latencies.Count == 0 ? null : Math.Round(Statistics.Percentile(latencies, 50), 1),
                    latencies.Count == 0 ? null : Math.Round(Statistics.Percentile(latencies, 99), 1),
                    reloads());
                samples.Add(sample);
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {at,5:F0} s: RSS {sample.RssMb:F0} MB, heap {sample.ManagedHeapMb:F0} MB, GC committed {sample.CommittedMb:F0} MB, native in use {sample.NativeInUseMb:F0} MB + free {sample.NativeFreeMb:F0} MB, {sample.Threads} threads, {sample.Requests} requests ({sample.Rows / SampleEvery.TotalSeconds:F0} texts/s), p99 {sample.P99Ms:F0} ms, failed {sample.Failed}, reloads {sample.Reloads}"));
                nextSample += SampleEvery;
            }
        }

        stop.Cancel();
        await Task.WhenAll(clients);
        while (requests.TryDequeue(out var r))
        {
            seen.Add(r);
        }

        var peak = ProcessMemory.PeakRssMbOf(child.Id);
        return new SoakResult(samples, replacements, seen, reloads(), peak);
    }

    private static async Task<MemorySnapshot?> ReadMemoryAsync(HttpClient http)
    {
        try
        {
            return await http.GetFromJsonAsync<MemorySnapshot>("/diagnostics/memory", new JsonSerializerOptions(JsonSerializerDefaults.Web));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }

    private static Verdict Judge(SoakResult result, TimeSpan duration, TimeSpan warmUp, TimeSpan window)
    {
        var requests = result.Requests;
        var failed = requests.Where(r => r.Error is not null && r.Status != HttpStatusCode.TooManyRequests).ToList();
        var rejected = requests.Count(r => r.Status == HttpStatusCode.TooManyRequests);

        // RSS growth after the warm-up: the last sample against the first sample at or after the warm-up.
        var afterWarmUp = result.Samples.Where(s => s.Seconds >= warmUp.TotalSeconds - 0.5).ToList();
        var rssAtWarmUp = afterWarmUp.FirstOrDefault()?.RssMb ?? double.NaN;
        var rssAtEnd = result.Samples.LastOrDefault()?.RssMb ?? double.NaN;
        var rssMaxAfter = afterWarmUp.Count == 0 ? double.NaN : afterWarmUp.Max(s => s.RssMb);
        var growth = (rssAtEnd / rssAtWarmUp) - 1;
        var growthToMax = (rssMaxAfter / rssAtWarmUp) - 1;

        // Reloads make RSS a sawtooth (the new sessions open before the old ones retire), so one sample lands anywhere
        // on a tooth. The judged growth compares medians over whole windows: the window right after the warm-up
        // against the last window, each spanning at least one reload period.
        var span = Math.Max(window.TotalSeconds, ReplaceEvery.TotalSeconds);
        var firstWindow = result.Samples.Where(s => s.Seconds >= warmUp.TotalSeconds - 0.5 && s.Seconds < warmUp.TotalSeconds + span - 0.5).Select(s => s.RssMb).ToList();
        var lastWindow = result.Samples.Where(s => s.Seconds > duration.TotalSeconds - span - 0.5).Select(s => s.RssMb).ToList();
        var rssFirstMedian = firstWindow.Count == 0 ? double.NaN : Statistics.Percentile(firstWindow, 50);
        var rssLastMedian = lastWindow.Count == 0 ? double.NaN : Statistics.Percentile(lastWindow, 50);
        var medianGrowth = (rssLastMedian / rssFirstMedian) - 1;

        // p99 of the second window against the last one.
        var second = requests.Where(r => r.EndSeconds > window.TotalSeconds && r.EndSeconds <= 2 * window.TotalSeconds).Select(r => r.Milliseconds).ToList();
        var last = requests.Where(r => r.EndSeconds > duration.TotalSeconds - window.TotalSeconds && r.EndSeconds <= duration.TotalSeconds).Select(r => r.Milliseconds).ToList();
        var p99Second = Statistics.Percentile(second, 99);
        var p99Last = Statistics.Percentile(last, 99);
        var latencyRatio = p99Last / p99Second;

        var passed = failed.Count == 0 && rejected == 0 && medianGrowth <= 0.05 && latencyRatio <= 1.5;
        return new Verdict(
            passed,
            requests.Count,
            requests.Sum(r => r.Rows),
            failed.Count,
            rejected,
            failed.Select(r => r.Error!).Distinct().Take(5).ToArray(),
            failed.GroupBy(r => r.Status is { } status ? ((int)status).ToString(CultureInfo.InvariantCulture) : "no response").ToDictionary(g => g.Key, g => g.Count()),
            result.Reloads,
            result.Replacements.Count,
            Math.Round(rssAtWarmUp, 1),
            Math.Round(rssAtEnd, 1),
            Math.Round(rssMaxAfter, 1),
            Math.Round(growth * 100, 2),
            Math.Round(growthToMax * 100, 2),
            Math.Round(rssFirstMedian, 1),
            Math.Round(rssLastMedian, 1),
            Math.Round(medianGrowth * 100, 2),
            Math.Round(result.PeakRssMb, 1),
            Math.Round(p99Second, 1),
            Math.Round(p99Last, 1),
            Math.Round(latencyRatio, 3),
            Math.Round(Statistics.Percentile(requests.Where(r => !r.Batch).Select(r => r.Milliseconds).ToList(), 99), 1),
            Math.Round(Statistics.Percentile(requests.Where(r => r.Batch).Select(r => r.Milliseconds).ToList(), 99), 1));
    }

    private static object Settings(TimeSpan duration, TimeSpan warmUp, TimeSpan window) => new
    {
        durationSeconds = duration.TotalSeconds,
        clients = Clients,
        batchClients = Clients / BatchClientEvery,
        textsPerBatchRequest = TextsPerBatch,
        sampleEverySeconds = SampleEvery.TotalSeconds,
        replaceEverySeconds = ReplaceEvery.TotalSeconds,
        warmUpSeconds = warmUp.TotalSeconds,
        p99WindowSeconds = window.TotalSeconds,
        sampleQueueLength = 1024,
        machine = MachineInfo.Current().ToMarkdown(),
    };

    private static void Plot(SoakResult result, string path, TimeSpan duration)
    {
        var plot = new ScottPlot.Plot();
        var minutes = result.Samples.Select(s => s.Seconds / 60).ToArray();
        var rss = plot.Add.Scatter(minutes, result.Samples.Select(s => s.RssMb).ToArray());
        rss.LegendText = "RSS (MB, left)";
        rss.Color = ScottPlot.Colors.SteelBlue;
        var heapSamples = result.Samples.Where(s => s.ManagedHeapMb is not null).ToArray();
        if (heapSamples.Length > 0)
        {
            var heap = plot.Add.Scatter(heapSamples.Select(s => s.Seconds / 60).ToArray(), heapSamples.Select(s => s.ManagedHeapMb!.Value).ToArray());
            heap.LegendText = "managed heap (MB, left)";
            heap.Color = ScottPlot.Colors.SeaGreen;
        }

        var p99Samples = result.Samples.Where(s => s.P99Ms is not null).ToArray();
        var p99 = plot.Add.Scatter(p99Samples.Select(s => s.Seconds / 60).ToArray(), p99Samples.Select(s => s.P99Ms!.Value).ToArray());
        p99.LegendText = "p99 latency (ms, right)";
        p99.Color = ScottPlot.Colors.OrangeRed;
        p99.Axes.YAxis = plot.Axes.Right;
        foreach (var replaced in result.Replacements)
        {
            var line = plot.Add.VerticalLine(replaced / 60);
            line.Color = ScottPlot.Colors.Gray.WithAlpha(0.35);
            line.LinePattern = ScottPlot.LinePattern.Dotted;
        }

        plot.Title($"Soak: EmbeddingService, {Clients} HTTP clients, model replaced every {ReplaceEvery.TotalSeconds:F0} s (dotted), {duration.TotalMinutes:F0} min");
        plot.XLabel("minutes");
        plot.Axes.Left.Label.Text = "MB";
        plot.Axes.Right.Label.Text = "p99 ms (10 s windows)";
        plot.Axes.SetLimitsY(0, result.Samples.Max(s => s.RssMb) * 1.15, plot.Axes.Left);
        plot.Axes.SetLimitsY(0, (p99Samples.Length == 0 ? 1 : p99Samples.Max(s => s.P99Ms!.Value)) * 1.3, plot.Axes.Right);
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        plot.SavePng(path, 1000, 560);
    }

    private static void WriteMarkdown(SoakResult result, Verdict verdict, TimeSpan duration, string jsonPath, string pngPath)
    {
        var w = Console.Out;
        w.WriteLine();
        w.WriteLine($"### Soak ({duration.TotalMinutes:F0} min): {(verdict.Passed ? "PASSED" : "FAILED")}");
        w.WriteLine();
        w.WriteLine("| sample (s) | RSS MB | managed heap MB | GC committed MB | native in use MB | native free MB | threads | requests | texts/s | failed | 429 | p50 ms | p99 ms | reloads |");
        w.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in result.Samples)
        {
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {s.Seconds:F0} | {s.RssMb:F0} | {s.ManagedHeapMb:F0} | {s.CommittedMb:F0} | {s.NativeInUseMb:F0} | {s.NativeFreeMb:F0} | {s.Threads} | {s.Requests} | {s.Rows / SampleEvery.TotalSeconds:F0} | {s.Failed} | {s.Rejected} | {s.P50Ms:F0} | {s.P99Ms:F0} | {s.Reloads} |"));
        }

        w.WriteLine();
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- requests {verdict.Requests} ({verdict.Texts} texts), failed {verdict.Failed} (target 0), 429 {verdict.Rejected} (queue 1,024 > {Clients} clients, so any counts as a failure)"));
        w.WriteLine($"- failed by status: {string.Join(", ", verdict.FailedByStatus.Select(p => $"{p.Key}: {p.Value}"))}");
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- model replaced {verdict.Replacements} times, reloads logged {verdict.ReloadsLogged}"));
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- RSS median over the first window after warm-up {verdict.RssMedianFirstWindowMb:F0} MB → over the last window {verdict.RssMedianLastWindowMb:F0} MB: {verdict.RssMedianGrowthPercent:+0.0;-0.0}% (target ≤ 5%)"));
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- RSS single samples: after warm-up {verdict.RssAfterWarmUpMb:F0} MB → end {verdict.RssEndMb:F0} MB: {verdict.RssGrowthPercent:+0.0;-0.0}% (max after warm-up {verdict.RssMaxAfterWarmUpMb:F0} MB, {verdict.RssGrowthToMaxPercent:+0.0;-0.0}%); peak (VmHWM) {verdict.PeakRssMb:F0} MB"));
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- p99 second window {verdict.P99SecondWindowMs:F0} ms, last window {verdict.P99LastWindowMs:F0} ms: {verdict.P99Ratio:F2}× (target ≤ 1.5×); whole run p99 /embed {verdict.P99EmbedMs:F0} ms, /embed/batch {verdict.P99BatchMs:F0} ms"));
        foreach (var error in verdict.FirstErrors)
        {
            w.WriteLine($"- error: {error}");
        }

        w.WriteLine($"- written: {jsonPath}, {pngPath}");
    }

    private BenchmarkRecord Record(SoakResult result, Verdict verdict, TimeSpan duration)
    {
        var all = result.Requests.Select(r => r.Milliseconds).ToList();
        var note = string.Create(CultureInfo.InvariantCulture, $"{(verdict.Passed ? "passed" : "FAILED")}: {duration.TotalMinutes:F0} min, {Clients} HTTP clients ({Clients / BatchClientEvery} on /embed/batch with {TextsPerBatch} texts), " +
            $"{verdict.Replacements} model replacements ({verdict.ReloadsLogged} reloads logged); failed {verdict.Failed}, 429 {verdict.Rejected}; RSS growth after warm-up {verdict.RssMedianGrowthPercent:F1}% (window medians; {verdict.RssGrowthPercent:F1}% sample to sample); " +
            $"p99 last/second window {verdict.P99Ratio:F2}×; throughput counts texts");
        return new BenchmarkRecord(Name, "embedding-service-soak", false, Clients, Math.Round(verdict.Texts / duration.TotalSeconds, 2), Math.Round(Statistics.Percentile(all, 50), 2), Math.Round(Statistics.Percentile(all, 99), 2), Math.Round(result.PeakRssMb, 1), null, note);
    }

    private static TimeSpan? SecondsFromEnvironment(string name)
        => double.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : null;

    private static TimeSpan Min(TimeSpan a, TimeSpan b, TimeSpan c) => a < b ? (a < c ? a : c) : (b < c ? b : c);

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "MLNetInference.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"The repository root (with MLNetInference.sln) is not above {AppContext.BaseDirectory}; the soak builds the sample from it.");
    }

    private static async Task<string> BuildSampleAsync(string root)
    {
        var project = Path.Combine(root, "src", "Samples", "EmbeddingService");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "build", project, "-c", "Release", "--nologo", "-v", "q" })
        {
            start.ArgumentList.Add(argument);
        }

        using var build = Process.Start(start) ?? throw new InvalidOperationException("dotnet build did not start.");
        var output = build.StandardOutput.ReadToEndAsync();
        var errors = build.StandardError.ReadToEndAsync();
        await build.WaitForExitAsync();
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException($"Building the sample failed ({build.ExitCode}):\n{await output}\n{await errors}");
        }

        var dll = Directory.GetFiles(Path.Combine(project, "bin", "Release"), "EmbeddingService.dll", SearchOption.AllDirectories).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault();
        return dll ?? throw new InvalidOperationException($"The sample built, but no EmbeddingService.dll is under {project}/bin/Release.");
    }

    private static Process StartSample(string dll, string modelPath)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { dll, "--urls", "http://127.0.0.1:0", $"--Embedder:ModelPath={modelPath}", "--Embedder:WatchForChanges=true", "--RateLimiting:Enabled=false", "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        return Process.Start(start) ?? throw new InvalidOperationException("The sample did not start.");
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningPattern();

    private sealed record RequestRecord(double EndSeconds, double Milliseconds, int Rows, bool Batch, HttpStatusCode? Status, string? Error);

    private sealed record Sample(double Seconds, double RssMb, double? ManagedHeapMb, double? CommittedMb, double? NativeInUseMb, double? NativeFreeMb, int? Threads, int Requests, int Rows, int Failed, int Rejected, double? P50Ms, double? P99Ms, int Reloads);

    private sealed record SoakResult(List<Sample> Samples, List<double> Replacements, List<RequestRecord> Requests, int Reloads, double PeakRssMb);

    private sealed record MemorySnapshot(long ManagedHeapBytes, long TotalAllocatedLiveBytes, long CommittedBytes, long WorkingSetBytes, int Gen0Collections, int Gen1Collections, int Gen2Collections, long? NativeHeapInUseBytes, long? NativeHeapFreeBytes, int? ThreadCount);

    private sealed record Verdict(
        bool Passed,
        int Requests,
        int Texts,
        int Failed,
        int Rejected,
        string[] FirstErrors,
        Dictionary<string, int> FailedByStatus,
        int ReloadsLogged,
        int Replacements,
        double RssAfterWarmUpMb,
        double RssEndMb,
        double RssMaxAfterWarmUpMb,
        double RssGrowthPercent,
        double RssGrowthToMaxPercent,
        double RssMedianFirstWindowMb,
        double RssMedianLastWindowMb,
        double RssMedianGrowthPercent,
        double PeakRssMb,
        double P99SecondWindowMs,
        double P99LastWindowMs,
        double P99Ratio,
        double P99EmbedMs,
        double P99BatchMs);
}
