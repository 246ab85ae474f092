using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using MLNetInference.Models;
using static MLNetInference.Serving.OpenInference.Tests.TextModel;

namespace MLNetInference.Serving.OpenInference.Tests;

/// <summary>The pool's V2 client against our own server over loopback, and overflow from a full local queue to it.</summary>
[TestClass]
public sealed class OpenInferenceClientTests
{
    private static V2TestServer s_server = null!;
    private static string[] s_sentences = null!;
    private static float[][] s_expected = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        (s_server, s_sentences, s_expected) = await StartPoolServerAsync(24);
    }

    [ClassCleanup]
    public static async Task StopAsync() => await s_server.DisposeAsync();

    [TestMethod]
    [DataRow(OpenInferenceProtocol.RestBinary)]
    [DataRow(OpenInferenceProtocol.Grpc)]
    public async Task FromOpenInference_AgainstOurServer_EqualsTheLocalPool(OpenInferenceProtocol protocol)
    {
        var uri = protocol == OpenInferenceProtocol.Grpc ? s_server.GrpcUri : s_server.RestUri;
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<TextInput, Embedding>()
            .FromOpenInference("remote", uri, o =>
            {
                o.RemoteModelName = "minilm";
                o.Protocol = protocol;
            })
            .WithDynamicBatching(o => o.WorkersPerDevice = 2);
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>();

        // Concurrent single requests: the pool batches them into fewer remote calls.
        var answers = await Task.WhenAll(s_sentences.Select(s => pool.PredictAsync("remote", new TextInput { Text = s })));

        for (var i = 0; i < answers.Length; i++)
        {
            Assert.AreEqual(384, answers[i].Vector.Length);
            var cosine = Cosine(s_expected[i], answers[i].Vector);
            Assert.IsTrue(cosine >= 0.99999, $"Sentence {i}: cosine {cosine}.");
        }
    }

    [TestMethod]
    public async Task FromOpenInference_UnknownRemoteModel_FailsTypedAndOthersStillServe()
    {
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<TextInput, Embedding>()
            .FromOpenInference("missing", s_server.RestUri, o => o.Resilience.Retry.MaxRetryAttempts = 1)
            .FromOpenInference("remote", s_server.RestUri, o => o.RemoteModelName = "minilm")
            .WithDynamicBatching(o => o.WorkersPerDevice = 1);
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>();

        await Assert.ThrowsExactlyAsync<ModelUnavailableException>(() => pool.PredictAsync("missing", new TextInput { Text = "x" }));
        var answer = await pool.PredictAsync("remote", new TextInput { Text = s_sentences[0] });

        Assert.IsTrue(Cosine(s_expected[0], answer.Vector) >= 0.99999);
    }

    [TestMethod]
    public async Task WithOverflow_FullLocalQueue_HandsTheRestToTheRemoteServerAndLosesNone()
    {
        // The local model's one worker is held at a gate, so its queue fills deterministically: 1 running + 4 queued.
        using var gate = new GatedExecutor();
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<TextInput, Embedding>()
            .FromExecutor("local", _ => gate)
            .FromOpenInference("remote", s_server.RestUri, o => o.RemoteModelName = "minilm")
            .WithOverflow("local", "remote")
            .WithDynamicBatching("local", o =>
            {
                o.WorkersPerDevice = 1;
                o.MaxBatchSize = 1;
                o.MaxQueueLength = 4;
            })
            .WithDynamicBatching("remote", o => o.WorkersPerDevice = 2);
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>();
        long overflowed = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == PoolMetrics.OverflowedRequestsName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == PoolMetrics.OverflowTargetAttribute && (string?)tag.Value == "remote")
                {
                    Interlocked.Add(ref overflowed, value);
                }
            }
        });
        listener.Start();

        var first = pool.PredictAsync("local", new TextInput { Text = s_sentences[0] });
        Assert.IsTrue(gate.Entered.Wait(TimeSpan.FromSeconds(30)), "The local worker never started.");
        var rest = Enumerable.Range(1, 19).Select(i => pool.PredictAsync("local", new TextInput { Text = s_sentences[i] })).ToArray();
        var remoteAnswers = await Task.WhenAll(rest.Skip(4));
        gate.Open();
        var localAnswers = await Task.WhenAll(rest.Take(4).Prepend(first));

        Assert.AreEqual(15, Interlocked.Read(ref overflowed));
        Assert.IsTrue(localAnswers.All(a => a.Vector.Length == 1 && a.Vector[0] == GatedExecutor.Marker), "The first five ran locally.");
        for (var i = 0; i < remoteAnswers.Length; i++)
        {
            Assert.IsTrue(Cosine(s_expected[i + 5], remoteAnswers[i].Vector) >= 0.99999, $"Overflowed request {i + 5} was answered by the remote model.");
        }
    }

    /// <summary>A local executor that holds its batch at a gate and answers a marker.</summary>
    private sealed class GatedExecutor : IPredictionBatchExecutor<TextInput, Embedding>, IDisposable
    {
        public const float Marker = -7f;

        private readonly ManualResetEventSlim _gate = new(false);

        public ManualResetEventSlim Entered { get; } = new(false);

        public void Open() => _gate.Set();

        public void Execute(ReadOnlySpan<TextInput> requests, Span<Embedding> results)
        {
            Entered.Set();
            if (!_gate.Wait(TimeSpan.FromSeconds(60)))
            {
                throw new TimeoutException("The test never opened the gate.");
            }

            for (var i = 0; i < results.Length; i++)
            {
                results[i] = new Embedding { Vector = [Marker] };
            }
        }

        public void Dispose()
        {
            _gate.Set();
        }
    }
}
