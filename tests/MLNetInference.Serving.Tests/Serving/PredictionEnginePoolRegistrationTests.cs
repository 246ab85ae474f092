using MLNetInference.Core;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using MLNetInference.Core.Runtime;
using Microsoft.Extensions.Options;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Models;
using MLNetInference.Serving;

namespace MLNetInference.Serving.Tests.Serving;

[TestClass]
public sealed class PredictionEnginePoolRegistrationTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task FromOnnxFile_SmallMlp_BatchesRequestsAndMatchesOneByOne()
    {
        var path = FixtureModels.EnsureFile(FixtureModels.SmallMlpName);
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<MlpInput, MlpOutput>()
            .FromOnnxFile("mlp", path)
            .WithDynamicBatching(o =>
            {
                o.MaxQueueDelay = TimeSpan.FromMilliseconds(20);
                o.WorkersPerDevice = 1;
            });
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>();
        var random = new Random(3);
        var inputs = Enumerable.Range(0, 40).Select(_ => new MlpInput { features = [.. Enumerable.Range(0, 32).Select(_ => (float)random.NextDouble())] }).ToArray();
        using var listener = new BatchSizeListener("mlp");

        var together = await Task.WhenAll(inputs.Select(i => pool.PredictAsync("mlp", i)));
        var alone = new List<MlpOutput>();
        foreach (var input in inputs)
        {
            alone.Add(await pool.PredictAsync("mlp", input));
        }

        for (var i = 0; i < inputs.Length; i++)
        {
            for (var k = 0; k < 4; k++)
            {
                Assert.AreEqual(alone[i].scores[k], together[i].scores[k], 1e-5f, $"row {i}");
            }
        }

        Assert.IsGreaterThan(1, listener.LargestBatch, "concurrent requests should share batches");
    }

    [TestMethod]
    public async Task FromOnnxFile_RenamedMembers_MatchTheScoringEstimator()
    {
        var path = FixtureModels.EnsureFile(FixtureModels.SmallMlpName);
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<RenamedInput, RenamedOutput>()
            .FromOnnxFile(string.Empty, path, o =>
            {
                o.InputColumns["features"] = "Features";
                o.OutputColumns["scores"] = "Scores";
            });
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<RenamedInput, RenamedOutput>>();
        var random = new Random(11);
        var inputs = Enumerable.Range(0, 12).Select(_ => new RenamedInput { Values = [.. Enumerable.Range(0, 32).Select(_ => (float)random.NextDouble())] }).ToArray();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(inputs);
        var options = new MLNetInference.Pipeline.Scoring.OnnxBatchScoringOptions { ModelPath = path };
        options.InputColumns["features"] = "Features";
        options.OutputColumns["scores"] = "Scores";
        using var estimator = ml.Transforms.ScoreOnnxBatched(options).Fit(data);
        var expected = ml.Data.CreateEnumerable<RenamedOutput>(estimator.Transform(data), reuseRowObject: false).ToList();

        var actual = await pool.PredictBatchAsync(inputs);

        for (var i = 0; i < inputs.Length; i++)
        {
            CollectionAssert.AreEqual(expected[i].Values, actual[i].Values, $"row {i}");
        }
    }

    [TestMethod]
    public async Task WithDynamicBatching_CudaOnCpuOnlyRuntime_FallsBackWithWarningAndServes()
    {
        var logs = new ListLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs));
        services.AddPredictionEnginePool<MlpInput, MlpOutput>()
            .FromOnnxFile(string.Empty, FixtureModels.EnsureFile(FixtureModels.SmallMlpName))
            .WithDynamicBatching(o => o.Devices.Add(DeviceSpec.Cuda(0)));
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>();

        var result = await pool.PredictAsync(new MlpInput { features = new float[32] });

        Assert.HasCount(4, result.scores);
        Assert.IsTrue(logs.Messages.Any(m => m.Level == LogLevel.Warning && m.Text.Contains("fell back to the CPU", StringComparison.Ordinal)), string.Join("\n", logs.Messages));
        Assert.IsTrue(
            logs.Messages.Any(m => m.Level == LogLevel.Warning && m.Category == typeof(OnnxSessionFactory).FullName && m.Text.Contains("falling back to the CPU. Reason:", StringComparison.Ordinal)),
            "the session factory's own warning, with its reason, reaches the app's logging: " + string.Join("\n", logs.Messages));
    }

    [TestMethod]
    public void AddPredictionEnginePool_InvalidBatchingOptions_FailsValidationNamingTheSetting()
    {
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<MlpInput, MlpOutput>()
            .FromOnnxFile("mlp", FixtureModels.EnsureFile(FixtureModels.SmallMlpName))
            .WithDynamicBatching("mlp", o => o.MaxBatchSize = 0);
        using var provider = services.BuildServiceProvider();

        var ex = Assert.ThrowsExactly<OptionsValidationException>(() => provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>());

        StringAssert.Contains(ex.Message, "MaxBatchSize");
        StringAssert.Contains(ex.Message, "mlp");
    }

    [TestMethod]
    public async Task PredictAsync_ModelFileCorrupt_ThrowsUnavailableAndHealthIsUnhealthy()
    {
        var path = Path.Combine(TestContext.TestRunDirectory ?? Path.GetTempPath(), $"corrupt-{Guid.NewGuid():N}.onnx");
        await File.WriteAllBytesAsync(path, [1, 2, 3, 4, 5, 6, 7, 8]);
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<MlpInput, MlpOutput>().FromOnnxFile("broken", path);
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>();

        await Assert.ThrowsExactlyAsync<ModelUnavailableException>(async () => await pool.PredictAsync("broken", new MlpInput { features = new float[32] }));
        var health = await new PredictionEnginePoolHealthCheck<MlpInput, MlpOutput>(pool).CheckHealthAsync(new HealthCheckContext());

        Assert.AreEqual(ModelStatus.Failed, pool.GetStatus("broken"));
        Assert.AreEqual(HealthStatus.Unhealthy, health.Status);
    }

    [TestMethod]
    public async Task ReloadAsync_NewFileCorrupt_KeepsServingOldVersionAndReportsDegraded()
    {
        var (path, provider, pool) = PoolOverCopy(watchForChanges: false);
        await using var owned = provider;
        var before = await pool.PredictAsync(new MlpInput { features = new float[32] });

        await File.WriteAllBytesAsync(path, [9, 9, 9]);
        var reloaded = await pool.ReloadAsync(string.Empty);
        var after = await pool.PredictAsync(new MlpInput { features = new float[32] });
        var health = await new PredictionEnginePoolHealthCheck<MlpInput, MlpOutput>(pool).CheckHealthAsync(new HealthCheckContext());

        Assert.IsFalse(reloaded);
        Assert.AreEqual(ModelStatus.ReloadFailed, pool.GetStatus(string.Empty));
        Assert.AreEqual(HealthStatus.Degraded, health.Status);
        CollectionAssert.AreEqual(before.scores, after.scores);
    }

    [TestMethod]
    public async Task FromOnnxFile_WatchedFileReplacedByAModelFailingOurChecks_NeverReachesOnnxRuntimeAndOldVersionServes()
    {
        var (path, provider, pool) = PoolOverCopy(watchForChanges: true);
        await using var owned = provider;
        var before = await pool.PredictAsync(new MlpInput { features = new float[32] });

        // A hostile file: its weights claim to live in /etc/passwd.
        var hostile = MLNetInference.Core.Onnx.OnnxModelIO.Parse(FixtureModels.SmallMlp());
        hostile.Graph.Initializer[0].RawData = Google.Protobuf.ByteString.Empty;
        hostile.Graph.Initializer[0].DataLocation = MLNetInference.Core.Onnx.Proto.TensorProto.Types.DataLocation.External;
        hostile.Graph.Initializer[0].ExternalData.Add(new MLNetInference.Core.Onnx.Proto.StringStringEntryProto { Key = "location", Value = "/etc/passwd" });
        MLNetInference.Core.Onnx.OnnxModelIO.Save(hostile, path);

        // The file system reports the change when it will; the 60 s bound is only a hang guard.
        using var hangGuard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (pool.GetStatus(string.Empty) != ModelStatus.ReloadFailed && !hangGuard.IsCancellationRequested)
        {
            await Task.Delay(50, CancellationToken.None);
        }

        Assert.AreEqual(ModelStatus.ReloadFailed, pool.GetStatus(string.Empty));
        var error = pool.GetLastError(string.Empty);
        Assert.IsInstanceOfType<OnnxModelLoadException>(error);
        Assert.IsInstanceOfType<MLNetInference.Core.Onnx.OnnxFormatException>(error.InnerException, "our checks, not ONNX Runtime, must refuse the file");
        CollectionAssert.AreEqual(before.scores, (await pool.PredictAsync(new MlpInput { features = new float[32] })).scores);
    }

    [TestMethod]
    public async Task FromOnnxFile_WatchForChanges_ReloadsWhenTheFileChanges()
    {
        var (path, provider, pool) = PoolOverCopy(watchForChanges: true);
        await using var owned = provider;
        var first = pool.GetModel();

        File.Copy(FixtureModels.EnsureFile(FixtureModels.SmallMlpName), path, overwrite: true);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow);

        // The file system reports the change when it will; the 60 s bound is only a hang guard. The new version is
        // installed before its status is set: wait for both.
        using var hangGuard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while ((ReferenceEquals(first, pool.GetModel()) || pool.GetStatus(string.Empty) != ModelStatus.Loaded) && !hangGuard.IsCancellationRequested)
        {
            await Task.Delay(50, CancellationToken.None);
        }

        Assert.AreNotSame(first, pool.GetModel(), "the file change should have loaded a new version");
        Assert.AreEqual(ModelStatus.Loaded, pool.GetStatus(string.Empty));
    }

    [TestMethod]
    public async Task WithValidation_RejectedRequest_ThrowsInvalidInputBeforeQueueing()
    {
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<MlpInput, MlpOutput>()
            .FromOnnxFile(string.Empty, FixtureModels.EnsureFile(FixtureModels.SmallMlpName))
            .WithValidation(i => i.features.Length == 32 ? null : $"features must hold 32 values, not {i.features.Length}");
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>();

        var ex = await Assert.ThrowsExactlyAsync<InvalidInputException>(async () => await pool.PredictAsync(new MlpInput { features = new float[3] }));

        StringAssert.Contains(ex.Message, "32");
        Assert.AreEqual(0, pool.GetQueueLength(string.Empty));
    }

    /// <summary>A pool serving a private copy of the small model, so a test can change the file.</summary>
    private (string Path, ServiceProvider Provider, PredictionEnginePool<MlpInput, MlpOutput> Pool) PoolOverCopy(bool watchForChanges)
    {
        var folder = Path.Combine(TestContext.TestRunDirectory ?? Path.GetTempPath(), $"model-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "mlp.onnx");
        File.Copy(FixtureModels.EnsureFile(FixtureModels.SmallMlpName), path);
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<MlpInput, MlpOutput>().FromOnnxFile(string.Empty, path, watchForChanges: watchForChanges);
        var provider = services.BuildServiceProvider();
        return (path, provider, provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>());
    }

    [TestMethod]
    public async Task AddPredictionEnginePool_TwoServiceProviders_EachRecordsSecondsOnItsOwnHostsMeter()
    {
        var path = FixtureModels.EnsureFile(FixtureModels.SmallMlpName);
        ServiceProvider Host()
        {
            var services = new ServiceCollection();
            services.AddPredictionEnginePool<MlpInput, MlpOutput>().FromOnnxFile("mlp", path);
            return services.BuildServiceProvider();
        }

        await using var first = Host();
        await using var second = Host();
        var firstMeters = first.GetRequiredService<IMeterFactory>();
        var secondMeters = second.GetRequiredService<IMeterFactory>();
        Assert.AreNotSame(firstMeters, secondMeters);
        using var firstDurations = new MetricCollector<double>(firstMeters, PoolMetrics.MeterName, PoolMetrics.RequestDurationName);
        using var secondDurations = new MetricCollector<double>(secondMeters, PoolMetrics.MeterName, PoolMetrics.RequestDurationName);

        await first.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>().PredictAsync("mlp", new MlpInput { features = new float[32] });
        _ = second.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>();

        var measurement = firstDurations.GetMeasurementSnapshot().Single();
        Assert.AreEqual("s", firstDurations.Instrument!.Unit);
        Assert.AreSame(firstMeters, firstDurations.Instrument.Meter.Scope);
        Assert.IsTrue(measurement.Value is > 0 and < 30, $"one small MLP request takes well under 30 s, not {measurement.Value} (seconds, not ms)");
        Assert.AreEqual("mlp", measurement.Tags[PoolMetrics.ModelNameAttribute]);
        Assert.IsEmpty(secondDurations.GetMeasurementSnapshot(), "the other host's meter saw nothing");
    }

    [TestMethod]
    public async Task AddPredictionEnginePool_InvalidRequest_CountsARejectionWithErrorType()
    {
        var path = FixtureModels.EnsureFile(FixtureModels.SmallMlpName);
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<MlpInput, MlpOutput>()
            .FromOnnxFile("mlp", path)
            .WithValidation(i => i.features.Length == 32 ? null : $"features has {i.features.Length} values; the model takes 32.");
        await using var provider = services.BuildServiceProvider();
        using var rejected = new MetricCollector<long>(provider.GetRequiredService<IMeterFactory>(), PoolMetrics.MeterName, PoolMetrics.RejectedRequestsName);
        var pool = provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>();

        await Assert.ThrowsExactlyAsync<InvalidInputException>(() => pool.PredictAsync("mlp", new MlpInput { features = new float[3] }));

        var rejection = rejected.GetMeasurementSnapshot().Single();
        Assert.AreEqual("invalid_input", rejection.Tags[PoolMetrics.ErrorTypeAttribute]);
        Assert.AreEqual("mlp", rejection.Tags[PoolMetrics.ModelNameAttribute]);
    }

    [TestMethod]
    public async Task AddHealthChecks_PoolWithTagsFailureStatusAndTimeout_RegistersThemAndReportsTheFailureStatus()
    {
        var path = Path.Combine(TestContext.TestRunDirectory ?? Path.GetTempPath(), $"corrupt-{Guid.NewGuid():N}.onnx");
        await File.WriteAllBytesAsync(path, [1, 2, 3, 4, 5, 6, 7, 8]);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPredictionEnginePool<MlpInput, MlpOutput>().FromOnnxFile("broken", path);
        services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), tags: ["live"])
            .AddPredictionEnginePool<MlpInput, MlpOutput>(failureStatus: HealthStatus.Degraded, tags: ["ready"], timeout: TimeSpan.FromSeconds(30));
        await using var provider = services.BuildServiceProvider();

        var registration = provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Single(r => r.Name == PredictionEnginePoolHealthChecksBuilderExtensions.DefaultName);
        var health = provider.GetRequiredService<HealthCheckService>();
        var ready = await health.CheckHealthAsync(r => r.Tags.Contains("ready"), TestContext.CancellationToken);
        var live = await health.CheckHealthAsync(r => r.Tags.Contains("live"), TestContext.CancellationToken);

        CollectionAssert.AreEquivalent(new[] { "ready" }, registration.Tags.ToArray());
        Assert.AreEqual(HealthStatus.Degraded, registration.FailureStatus);
        Assert.AreEqual(TimeSpan.FromSeconds(30), registration.Timeout);
        Assert.AreEqual(HealthStatus.Degraded, ready.Status, "a model that failed to load reports the registration's failure status");
        StringAssert.Contains(ready.Entries[PredictionEnginePoolHealthChecksBuilderExtensions.DefaultName].Description, "broken");
        Assert.AreEqual(HealthStatus.Healthy, live.Status, "liveness does not run the pool's check");
        Assert.IsFalse(live.Entries.ContainsKey(PredictionEnginePoolHealthChecksBuilderExtensions.DefaultName));
    }

#pragma warning disable SA1300, IDE1006 // Member names follow the model's input and output names.
    public sealed class MlpInput
    {
        [VectorType(32)]
        public float[] features { get; set; } = [];
    }

    public sealed class MlpOutput
    {
        [VectorType(4)]
        public float[] scores { get; set; } = [];
    }
#pragma warning restore SA1300, IDE1006

    public sealed class RenamedInput
    {
        [ColumnName("Features")]
        [VectorType(32)]
        public float[] Values { get; set; } = [];
    }

    public sealed class RenamedOutput
    {
        [ColumnName("Scores")]
        [VectorType(4)]
        public float[] Values { get; set; } = [];
    }

    private sealed class BatchSizeListener : IDisposable
    {
        private readonly MeterListener _listener = new();
        private int _largest;

        public BatchSizeListener(string model)
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == PoolMetrics.MeterName && instrument.Name == PoolMetrics.BatchSizeName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == PoolMetrics.ModelNameAttribute && (string?)tag.Value == model)
                    {
                        InterlockedMax(ref _largest, value);
                    }
                }
            });
            _listener.Start();
        }

        public int LargestBatch => Volatile.Read(ref _largest);

        public void Dispose() => _listener.Dispose();

        private static void InterlockedMax(ref int target, int value)
        {
            int current;
            while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
            {
            }
        }
    }
}
