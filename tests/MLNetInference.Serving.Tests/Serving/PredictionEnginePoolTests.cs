using MLNetInference.Tests.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MLNetInference.Core.Runtime;
using MLNetInference.Models;
using MLNetInference.Serving;
using static MLNetInference.Serving.Tests.EmbedderFixture;

namespace MLNetInference.Serving.Tests.Serving;

[TestClass]
public sealed class PredictionEnginePoolTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task PredictAsync_ConcurrentMiniLmRequests_EqualTheEstimatorsEmbeddings()
    {
        var sentences = SentenceCorpus.Load(48);
        var expected = EmbedWithEstimator(sentences);
        await using var provider = Services(ZipPath, o => o.MaxQueueDelay = TimeSpan.FromMilliseconds(5));
        var pool = provider.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>();

        var results = await Task.WhenAll(sentences.Select(s => Task.Run(() => pool.PredictAsync(new TextInput { Text = s }))));

        for (var i = 0; i < sentences.Count; i++)
        {
            Assert.IsGreaterThanOrEqualTo(0.99999f, Cosine(expected[i], results[i].Vector), $"sentence {i}");
        }
    }

    [TestMethod]
    public void Predict_Synchronous_ReturnsTheDefaultModelsPrediction()
    {
        using var provider = Services(ZipPath);
        var pool = provider.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>();

        var embedding = pool.Predict(new TextInput { Text = "The quick brown fox." });

        Assert.HasCount(384, embedding.Vector);
        Assert.AreEqual(ModelStatus.Loaded, pool.GetStatus(string.Empty));
    }

    [TestMethod]
    public async Task PredictAsync_EmptyTextInBatch_FailsOnlyThatRequest()
    {
        await using var provider = Services(ZipPath, o => o.MaxQueueDelay = TimeSpan.FromMilliseconds(50));
        var pool = provider.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>();
        string[] texts = ["first sentence", "second one", "   ", "fourth"];

        var tasks = texts.Select(t => pool.PredictAsync(new TextInput { Text = t })).ToArray();
        var outcome = await Task.WhenAll(tasks.Select(async t => { try { await t; return (Exception?)null; } catch (Exception ex) { return ex; } }));

        Assert.IsNull(outcome[0]);
        Assert.IsNull(outcome[1]);
        Assert.IsInstanceOfType<ArgumentException>(outcome[2]);
        Assert.IsNull(outcome[3]);
    }

    [TestMethod]
    public async Task ReloadAsync_TwentyTimes_LeavesExactlyOneLiveSession()
    {
        var zip = ZipPath;
        var before = LiveSessions.Count();
        await using (var provider = Services(zip))
        {
            var pool = provider.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>();
            await pool.PredictAsync(new TextInput { Text = "before reloads" });
            for (var i = 0; i < 20; i++)
            {
                Assert.IsTrue(await pool.ReloadAsync(string.Empty));
            }

            await pool.PredictAsync(new TextInput { Text = "after reloads" });
            Assert.AreEqual(before + 1, LiveSessions.Count(), "one session (one CPU device) should be live");
        }

        Assert.AreEqual(before, LiveSessions.Count(), "disposing the pool disposes its session");
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public async Task ReloadAsync_ReleaseMemoryAfterReload_GivesTheRetiredVersionsMemoryBackOnlyWhenOn(bool release)
    {
        var before = LiveSessions.Count();
        await using var provider = Services(ZipPath, o => o.ReleaseMemoryAfterReload = release);
        var pool = provider.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>();
        await pool.PredictAsync(new TextInput { Text = "before the reload" });

        Assert.IsTrue(await pool.ReloadAsync(string.Empty));
        await pool.PredictAsync(new TextInput { Text = "after the reload" });

        // The retired version is disposed once its last batch is done (it runs on the thread pool), and the release is
        // counted just after its sessions are: wait for both. 30 s is a hang guard.
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (LiveSessions.Count() != before + 1 || (release && pool.MemoryReleasesOf(string.Empty) == 0))
        {
            await Task.Delay(10, guard.Token);
        }

        // This pool's own count, so that another pool's release still queued from an earlier test cannot blur it.
        Assert.AreEqual(release ? 1L : 0L, pool.MemoryReleasesOf(string.Empty), release ? "the retired version's memory should be released once" : "the option is off: no collection or trim is forced");
        Assert.AreEqual(ModelStatus.Loaded, pool.GetStatus(string.Empty));
    }

    [TestMethod]
    public async Task FromFile_CudaOnCpuOnlyRuntime_LogsTheSessionFactorysFallbackWarning()
    {
        var logs = new ListLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs));
        services.AddPredictionEnginePool<TextInput, Embedding>()
            .FromFile(ZipPath)
            .WithDynamicBatching(o => o.Devices.Add(DeviceSpec.Cuda(0)));
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>();

        var result = await pool.PredictAsync(new TextInput { Text = "served on the CPU" });

        Assert.HasCount(384, result.Vector);
        Assert.IsTrue(
            logs.Messages.Any(m => m.Level == LogLevel.Warning && m.Category == typeof(OnnxSessionFactory).FullName && m.Text.Contains("falling back to the CPU", StringComparison.Ordinal)),
            string.Join("\n", logs.Messages));
    }

    [TestMethod]
    public async Task ReloadAsync_UnderLoad_NoRequestFails()
    {
        await using var provider = Services(ZipPath, o => o.MaxQueueDelay = TimeSpan.FromMilliseconds(1));
        var pool = provider.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>();
        var sentences = SentenceCorpus.Load(64);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var reloads = 0;
        var failures = 0;
        var completed = 0;
        var reloading = true;
        var clients = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
        {
            var i = c;
            while (Volatile.Read(ref reloading) && !stop.IsCancellationRequested)
            {
                try
                {
                    var result = await pool.PredictAsync(new TextInput { Text = sentences[i++ % sentences.Count] });
                    Assert.HasCount(384, result.Vector);
                    Interlocked.Increment(ref completed);
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToArray();

        // Each reload starts once the clients have completed more requests since the last one (progress, not elapsed
        // time), so every version serves traffic however busy the machine is; the 120 s token is only a hang guard.
        var servedPerVersion = new List<int>();
        for (var r = 0; r < 5; r++)
        {
            var before = Volatile.Read(ref completed);
            while (Volatile.Read(ref completed) < before + 8 && !stop.IsCancellationRequested)
            {
                await Task.Delay(5, CancellationToken.None);
            }

            servedPerVersion.Add(Volatile.Read(ref completed) - before);
            if (await pool.ReloadAsync(string.Empty))
            {
                reloads++;
            }
        }

        Volatile.Write(ref reloading, false);
        await Task.WhenAll(clients);

        Assert.IsFalse(stop.IsCancellationRequested, "the clients stopped making progress (hang guard)");
        Assert.AreEqual(5, reloads);
        Assert.AreEqual(0, failures);
        Assert.IsTrue(servedPerVersion.All(n => n >= 8), string.Join(", ", servedPerVersion));
    }

    private static ServiceProvider Services(string zip, Action<DynamicBatchingOptions>? batching = null)
    {
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<TextInput, Embedding>()
            .FromFile(zip)
            .WithDynamicBatching(o =>
            {
                o.WorkersPerDevice = 2;
                batching?.Invoke(o);
            });
        return services.BuildServiceProvider(validateScopes: true);
    }
}
