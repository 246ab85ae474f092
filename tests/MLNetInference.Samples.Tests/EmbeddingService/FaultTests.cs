using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using MLNetInference.Models;
using MLNetInference.Samples.EmbeddingService;
using MLNetInference.Samples.EmbeddingService.Api;
using MLNetInference.Serving;
using static MLNetInference.Samples.Tests.EmbeddingServiceFixture;

namespace MLNetInference.Samples.Tests.EmbeddingService;

/// <summary>
/// Faults over real loopback HTTP: the model file is corrupted or deleted under traffic, clients give up in the middle
/// of a batch, and the process is sent SIGTERM under load. Waits end on events (progress, health, metrics); real time
/// bounds them only as hang guards.
/// </summary>
[TestClass]
public sealed partial class FaultTests
{
    private const int Clients = 8;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task HotReload_CorruptModelReplacesTheGoodOne_OldModelKeepsServingHealthDegradedAndNoRequestFails()
    {
        var path = PrivateCopyOfTheModel();
        await using var service = await LoopbackService.StartAsync(TestContext.CancellationToken, $"Embedder:ModelPath={path}", "Embedder:WatchForChanges=true");
        using var client = service.Client();
        var before = await service.EmbedAsync(client, "The old model keeps serving.", TestContext.CancellationToken);

        await using (var traffic = Traffic.Start(service, TestContext.CancellationToken))
        {
            await traffic.WaitForProgressAsync(20);

            // A half-written file: the zip is cut in the middle, as a copy interrupted mid-way leaves it.
            var good = await File.ReadAllBytesAsync(path, TestContext.CancellationToken);
            await File.WriteAllBytesAsync(path, good.AsSpan(0, good.Length / 2).ToArray(), TestContext.CancellationToken);
            var health = await service.WaitForHealthAsync("Degraded", TestContext.CancellationToken);
            await traffic.WaitForProgressAsync(20);
            var failures = await traffic.StopAsync();

            Assert.IsEmpty(failures, string.Join("\n", failures));
            Assert.Contains(nameof(ModelStatus.ReloadFailed), health);
            CollectionAssert.AreEqual(before, await service.EmbedAsync(client, "The old model keeps serving.", TestContext.CancellationToken));

            // A good file again: the model reloads and health recovers.
            await File.WriteAllBytesAsync(path, good, TestContext.CancellationToken);
            await service.WaitForHealthAsync("Healthy", TestContext.CancellationToken);
        }
    }

    [TestMethod]
    public async Task HotReload_ModelFileDeleted_PoolKeepsServingAndHealthSaysTheFileIsGone()
    {
        var path = PrivateCopyOfTheModel();
        await using var service = await LoopbackService.StartAsync(TestContext.CancellationToken, $"Embedder:ModelPath={path}", "Embedder:WatchForChanges=true");
        var good = await File.ReadAllBytesAsync(path, TestContext.CancellationToken);

        await using (var traffic = Traffic.Start(service, TestContext.CancellationToken))
        {
            await traffic.WaitForProgressAsync(20);
            File.Delete(path);
            var health = await service.WaitForHealthAsync("Degraded", TestContext.CancellationToken);
            await traffic.WaitForProgressAsync(20);
            var failures = await traffic.StopAsync();

            Assert.IsEmpty(failures, string.Join("\n", failures));
            Assert.Contains(nameof(ModelStatus.ReloadFailed), health);
            Assert.Contains(Path.GetFileName(path), health, "health should name the missing file");
        }

        await File.WriteAllBytesAsync(path, good, TestContext.CancellationToken);
        await service.WaitForHealthAsync("Healthy", TestContext.CancellationToken);
    }

    [TestMethod]
    public async Task Embed_FourClientsCancelWhileTheirBatchRuns_TheOtherTwelveInThatBatchSucceed()
    {
        const int BatchSize = 16;
        const int Cancelling = 4;

        // The batch forms only when full (the delay is never reached), and a meter listener holds it at its start: the
        // batch size is recorded on the worker thread just before the batch runs, so blocking there holds the batch.
        await using var service = await LoopbackService.StartAsync(
            TestContext.CancellationToken,
            $"Embedder:Batching:MaxBatchSize={BatchSize}",
            "Embedder:Batching:MaxQueueDelay=00:10:00",
            "Embedder:Batching:WorkersPerDevice=1",
            "Embedder:Batching:RequestTimeout=00:10:00");
        using var gate = new ManualResetEventSlim(false);
        using var batchStarted = new ManualResetEventSlim(false);
        var cancelled = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PoolMetrics.MeterName && instrument.Name is PoolMetrics.BatchSizeName or PoolMetrics.RequestDurationName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) =>
        {
            if (instrument.Name == PoolMetrics.BatchSizeName && value == BatchSize && !batchStarted.IsSet)
            {
                batchStarted.Set();
                gate.Wait(LoopbackService.CallGuard);
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (instrument.Name == PoolMetrics.RequestDurationName && tag.Key == PoolMetrics.ErrorTypeAttribute && (string?)tag.Value == "cancelled")
                {
                    Interlocked.Increment(ref cancelled);
                }
            }
        });
        listener.Start();

        var texts = SentenceCorpus.Load(BatchSize).Select((s, i) => $"{i}: {s}").ToArray();
        var clients = texts.Select(_ => service.Client()).ToArray();
        var cancels = texts.Select(_ => CancellationTokenSource.CreateLinkedTokenSource(TestContext.CancellationToken)).ToArray();
        try
        {
            var requests = texts.Select((text, i) => Task.Run(async () =>
            {
                using var http = await clients[i].PostAsJsonAsync("/embed", new EmbedRequest(text), cancels[i].Token);
                return (http.StatusCode, Body: await http.Content.ReadFromJsonAsync<EmbedResponse>(cancels[i].Token));
            })).ToArray();

            Assert.IsTrue(await Task.Run(() => batchStarted.Wait(LoopbackService.CallGuard)), "the full batch never started");
            for (var i = 0; i < Cancelling; i++)
            {
                await cancels[i * 4].CancelAsync();
            }

            // The server has seen every disconnect (the pool counts each as cancelled) before the batch goes on.
            using (var guard = new CancellationTokenSource(LoopbackService.CallGuard))
            {
                while (Volatile.Read(ref cancelled) < Cancelling && !guard.IsCancellationRequested)
                {
                    await Task.Delay(10, CancellationToken.None);
                }
            }

            Assert.AreEqual(Cancelling, Volatile.Read(ref cancelled), "the pool did not see the four clients leave");
            gate.Set();

            var reference = EmbedWithEstimator(texts);
            for (var i = 0; i < BatchSize; i++)
            {
                if (i % 4 == 0 && i / 4 < Cancelling)
                {
                    await Assert.ThrowsAsync<OperationCanceledException>(() => requests[i]);
                    continue;
                }

                var (status, body) = await requests[i];
                Assert.AreEqual(HttpStatusCode.OK, status, texts[i]);
                Assert.IsGreaterThan(0.999, Cosine(reference[i], body!.Embedding), $"request {i} got another text's embedding");
            }
        }
        finally
        {
            gate.Set();
            foreach (var c in clients)
            {
                c.Dispose();
            }

            foreach (var c in cancels)
            {
                c.Dispose();
            }
        }
    }

    [TestMethod]
    public async Task Sigterm_UnderLoad_AcceptedRequestsCompleteLaterOnesAreRefusedAndTheProcessExitsInTime()
    {
        // The host's shutdown timeout (HostOptions.ShutdownTimeout, 30 s by default) bounds the exit.
        var shutdownTimeout = TimeSpan.FromSeconds(30);
        var root = DotnetProcess.RepositoryRoot();
        var folder = Path.Combine(root, "src", "Samples", "EmbeddingService", "bin", DotnetProcess.Configuration, "net10.0");
        Assert.IsTrue(File.Exists(Path.Combine(folder, "EmbeddingService.dll")), $"build the sample first ({folder})");
        var start = new ProcessStartInfo(MLNetInference.Tests.Shared.ChildProcess.DotnetHost)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "EmbeddingService.dll", "--urls=http://127.0.0.1:0", $"--Embedder:ModelPath={ModelPath}", "--Logging:LogLevel:Default=Information" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("the service did not start");
        var log = new ConcurrentQueue<string>();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            log.Enqueue(e.Data);
            if (ListeningPattern().Match(e.Data) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups["url"].Value));
            }
        };
        process.ErrorDataReceived += (_, e) => log.Enqueue(e.Data ?? string.Empty);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var address = await listening.Task.WaitAsync(TimeSpan.FromMinutes(3), TestContext.CancellationToken);
            var texts = SentenceCorpus.Load(4).ToArray();
            long signalled = 0;
            var outcomes = new ConcurrentBag<Attempt>();
            var completed = 0;
            var loops = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
            {
                using var client = new HttpClient { BaseAddress = address, Timeout = LoopbackService.CallGuard };
                while (true)
                {
                    var began = Stopwatch.GetTimestamp();
                    HttpResponseMessage? http = null;
                    try
                    {
                        // Headers only: a body that breaks off later is told apart from a request never taken.
                        using var request = new HttpRequestMessage(HttpMethod.Post, "/embed/batch") { Content = JsonContent.Create(new EmbedBatchRequest(texts)) };
                        http = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, CancellationToken.None);
                    }
                    catch (HttpRequestException ex)
                    {
                        // No response at all: refused or closed before the server took the request.
                        outcomes.Add(new Attempt(began, Stopwatch.GetTimestamp(), null, ex.Message));
                        return;
                    }
                    catch (Exception ex)
                    {
                        outcomes.Add(new Attempt(began, Stopwatch.GetTimestamp(), null, "failed: " + ex.Message));
                        return;
                    }

                    using (http)
                    {
                        try
                        {
                            var body = await http.Content.ReadAsStringAsync(CancellationToken.None);
                            outcomes.Add(new Attempt(began, Stopwatch.GetTimestamp(), http.StatusCode, null));
                            if (http.StatusCode == HttpStatusCode.OK)
                            {
                                Interlocked.Increment(ref completed);
                            }
                            else
                            {
                                return;
                            }
                        }
                        catch (Exception ex)
                        {
                            // A response that began and broke off: an accepted request that did not complete.
                            outcomes.Add(new Attempt(began, Stopwatch.GetTimestamp(), http.StatusCode, "truncated: " + ex.Message));
                            return;
                        }
                    }
                }
            })).ToArray();

            using (var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
            {
                while (Volatile.Read(ref completed) < 16 && !guard.IsCancellationRequested && !process.HasExited && !loops.All(l => l.IsCompleted))
                {
                    await Task.Delay(10, CancellationToken.None);
                }
            }

            Assert.IsGreaterThanOrEqualTo(16, Volatile.Read(ref completed), $"the service did not serve before the signal: {string.Join("; ", outcomes.Select(o => $"{o.Status} {o.Error}"))}\n{string.Join("\n", log)}");
            Volatile.Write(ref signalled, Stopwatch.GetTimestamp());
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            {
                await kill.WaitForExitAsync(TestContext.CancellationToken);
            }

            using (var exitGuard = new CancellationTokenSource(shutdownTimeout + TimeSpan.FromSeconds(30)))
            {
                await process.WaitForExitAsync(exitGuard.Token);
            }

            var exitedAfter = Stopwatch.GetElapsedTime(signalled);
            await Task.WhenAll(loops).WaitAsync(LoopbackService.CallGuard, TestContext.CancellationToken);
            var all = outcomes.ToArray();
            var report = $"exit {process.ExitCode} after {exitedAfter.TotalSeconds:F1} s; {all.Length} requests:\n" + string.Join("\n", all.Where(a => a.Status != HttpStatusCode.OK).Select(a => $"{a.Status} {a.Error} began {(a.Began < signalled ? "before" : "after")} the signal"));
            TestContext.WriteLine(report);

            Assert.AreEqual(0, process.ExitCode, $"{report}\n{string.Join("\n", log)}");
            Assert.IsLessThan(shutdownTimeout, exitedAfter, report);
            foreach (var attempt in all)
            {
                Assert.IsFalse(attempt.Error?.StartsWith("truncated", StringComparison.Ordinal) == true, $"an accepted request broke off: {report}");
                Assert.IsFalse(attempt.Error?.StartsWith("failed", StringComparison.Ordinal) == true, $"a request failed otherwise: {report}");
                Assert.IsTrue(attempt.Status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable or null, report);
                if (attempt.Status is null)
                {
                    Assert.IsGreaterThan(signalled, attempt.Ended, $"a request was refused before the signal: {report}");
                }
            }

            // The requests in flight at the signal were drained, not dropped: some of them completed after it.
            Assert.IsTrue(all.Any(a => a.Began < signalled && a.Ended > signalled && a.Status == HttpStatusCode.OK), $"no request in flight at the signal completed: {report}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>A copy of the shared zip in a folder of its own, so that a test can corrupt or delete it.</summary>
    private string PrivateCopyOfTheModel()
    {
        var folder = Path.Combine(Path.GetDirectoryName(ModelPath)!, $"fault-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "minilm-embedder.zip");
        File.Copy(ModelPath, path);
        return path;
    }

    [GeneratedRegex(@"Now listening on: (?<url>http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningPattern();

    private sealed record Attempt(long Began, long Ended, HttpStatusCode? Status, string? Error);

    /// <summary>Clients posting to <c>/embed</c> in a loop; every answer other than 200, and every exception, is a failure.</summary>
    private sealed class Traffic : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly Task[] _loops;
        private readonly ConcurrentQueue<string> _failures = new();
        private int _completed;

        private Traffic(LoopbackService service, CancellationToken cancellationToken)
        {
            _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var sentences = SentenceCorpus.Load(64);
            _loops = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
            {
                using var client = service.Client();
                for (var i = c; !_stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        using var http = await client.PostAsJsonAsync("/embed", new EmbedRequest(sentences[i % sentences.Count]), CancellationToken.None);
                        if (http.StatusCode == HttpStatusCode.OK)
                        {
                            Interlocked.Increment(ref _completed);
                        }
                        else
                        {
                            _failures.Enqueue($"{http.StatusCode}: {await http.Content.ReadAsStringAsync(CancellationToken.None)}");
                        }
                    }
                    catch (Exception ex)
                    {
                        _failures.Enqueue(ex.ToString());
                    }
                }
            })).ToArray();
        }

        public static Traffic Start(LoopbackService service, CancellationToken cancellationToken) => new(service, cancellationToken);

        /// <summary>Waits until <paramref name="requests"/> more requests have completed; the 60 s bound is a hang guard.</summary>
        public async Task WaitForProgressAsync(int requests)
        {
            var target = Volatile.Read(ref _completed) + requests;
            using var guard = new CancellationTokenSource(LoopbackService.CallGuard);
            while (Volatile.Read(ref _completed) < target && !guard.IsCancellationRequested && _failures.IsEmpty)
            {
                await Task.Delay(10, CancellationToken.None);
            }

            Assert.IsEmpty(_failures, string.Join("\n", _failures));
            Assert.IsGreaterThanOrEqualTo(target, Volatile.Read(ref _completed), "the clients stopped making progress");
        }

        /// <summary>Stops the clients and returns the failures.</summary>
        public async Task<string[]> StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_loops).WaitAsync(LoopbackService.CallGuard);
            return [.. _failures];
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _stop.Dispose();
        }
    }
}
