using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Net.Http.Headers;
using MLNetInference.Models;
using static MLNetInference.Serving.Tests.Serving.PredictionEnginePoolRegistrationTests;

namespace MLNetInference.Serving.Tests.Serving;

[TestClass]
public sealed class UriModelLoaderTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [TestMethod]
    public async Task FromUri_ChangedETag_ReloadsAndNotModifiedDoesNot()
    {
        var v1 = await File.ReadAllBytesAsync(FixtureModels.EnsureFile(FixtureModels.SmallMlpName));
        await using var server = await ModelServer.StartAsync(v1, "\"v1\"");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddPredictionEnginePool<MlpInput, MlpOutput>().FromUri("mlp", server.ModelUri, TimeSpan.FromMinutes(1));
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>();
        var loader = (UriModelLoader)pool.LoaderOf("mlp");
        var first = pool.GetModel("mlp");
        Assert.AreEqual(1, server.Requests, "the first load downloads the model");

        // Same ETag: the conditional request answers 304 and nothing is loaded.
        time.Advance(TimeSpan.FromMinutes(1));
        await WaitUntil(() => loader.CompletedChecks == 1);
        Assert.AreEqual(1, server.NotModified);
        Assert.AreEqual("\"v1\"", server.LastIfNoneMatch);
        Assert.IsTrue(server.LastIfModifiedSince.HasValue, "the Last-Modified of the first answer is sent back");
        Assert.AreSame(first, pool.GetModel("mlp"));

        // A changed ETag: downloaded, loaded and swapped in.
        server.Publish(v1, "\"v2\"");
        time.Advance(TimeSpan.FromMinutes(1));
        await WaitUntil(() => !ReferenceEquals(first, pool.GetModel("mlp")) && pool.GetStatus("mlp") == ModelStatus.Loaded);
        var second = pool.GetModel("mlp");
        Assert.AreEqual(ModelStatus.Loaded, pool.GetStatus("mlp"));
        Assert.AreEqual(1, server.NotModified);

        // A changed ETag whose content does not load: the previous version keeps serving, and the status says so.
        server.Publish([1, 2, 3, 4], "\"v3\"");
        time.Advance(TimeSpan.FromMinutes(1));
        await WaitUntil(() => pool.GetStatus("mlp") == ModelStatus.ReloadFailed);
        Assert.AreSame(second, pool.GetModel("mlp"));
        Assert.IsNotNull(pool.GetLastError("mlp"));
        Assert.AreEqual(4, server.Requests);
    }

    [TestMethod]
    public async Task FromLoader_InjectedHttpClient_ServerDownLeavesTheModelServing()
    {
        var v1 = await File.ReadAllBytesAsync(FixtureModels.EnsureFile(FixtureModels.SmallMlpName));
        var server = await ModelServer.StartAsync(v1, "\"v1\"");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var client = new HttpClient();
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<MlpInput, MlpOutput>()
            .FromLoader("mlp", _ => new UriModelLoader(client, new Uri(server.ModelUri), TimeSpan.FromSeconds(30), time));
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>();
        var loader = (UriModelLoader)pool.LoaderOf("mlp");
        var first = pool.GetModel("mlp");

        await server.DisposeAsync();
        time.Advance(TimeSpan.FromSeconds(30));
        await WaitUntil(() => loader.CompletedChecks == 1);

        Assert.AreSame(first, pool.GetModel("mlp"));
        Assert.AreEqual(ModelStatus.Loaded, pool.GetStatus("mlp"));
        var prediction = await pool.PredictAsync("mlp", new MlpInput { features = new float[32] });
        Assert.HasCount(4, prediction.scores);
    }

    [TestMethod]
    public void FromUri_RelativeAddress_ThrowsNamingIt()
    {
        var builder = new ServiceCollection().AddPredictionEnginePool<MlpInput, MlpOutput>();

        var ex = Assert.ThrowsExactly<ArgumentException>(() => builder.FromUri("mlp", "models/mlp.onnx", TimeSpan.FromMinutes(1)));

        StringAssert.Contains(ex.Message, "models/mlp.onnx");
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (!condition())
        {
            await Task.Delay(20, guard.Token);
        }
    }

    /// <summary>A real Kestrel on 127.0.0.1 serving one model file with an ETag and a Last-Modified date.</summary>
    private sealed class ModelServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly object _gate = new();
        private byte[] _content = [];
        private string _etag = "";
        private DateTimeOffset _lastModified;
        private int _requests;
        private int _notModified;

        private ModelServer(WebApplication app)
        {
            _app = app;
        }

        public string ModelUri { get; private set; } = "";

        public int Requests => Volatile.Read(ref _requests);

        public int NotModified => Volatile.Read(ref _notModified);

        public string? LastIfNoneMatch { get; private set; }

        public DateTimeOffset? LastIfModifiedSince { get; private set; }

        public static async Task<ModelServer> StartAsync(byte[] content, string etag)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var server = new ModelServer(app);
            server.Publish(content, etag);
            app.MapGet("/models/mlp.onnx", server.Serve);
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
            server.ModelUri = address + "/models/mlp.onnx";
            return server;
        }

        public void Publish(byte[] content, string etag)
        {
            lock (_gate)
            {
                _content = content;
                _etag = etag;
                _lastModified = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(_requests + 1);
            }
        }

        public ValueTask DisposeAsync() => _app.DisposeAsync();

        private async Task Serve(HttpContext context)
        {
            byte[] content;
            string etag;
            DateTimeOffset lastModified;
            lock (_gate)
            {
                (content, etag, lastModified) = (_content, _etag, _lastModified);
            }

            var headers = context.Request.GetTypedHeaders();
            LastIfNoneMatch = context.Request.Headers.IfNoneMatch.ToString() is { Length: > 0 } tag ? tag : null;
            LastIfModifiedSince = headers.IfModifiedSince;
            Interlocked.Increment(ref _requests);
            context.Response.Headers.ETag = etag;
            context.Response.GetTypedHeaders().LastModified = lastModified;
            if (headers.IfNoneMatch.Any(t => t.Tag.Equals(etag, StringComparison.Ordinal)))
            {
                Interlocked.Increment(ref _notModified);
                context.Response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }

            context.Response.ContentType = "application/octet-stream";
            await context.Response.Body.WriteAsync(content);
        }
    }
}
