using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MLNetInference.Serving.OpenInference.Internal;

namespace MLNetInference.Serving.OpenInference.Tests;

/// <summary>
/// A real Kestrel V2 server on 127.0.0.1: REST on one port (HTTP/1.1 and HTTP/2), gRPC over h2c on another, both
/// port 0; with an HTTP client and a gRPC channel pointed at them.
/// </summary>
internal sealed class V2TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private V2TestServer(WebApplication app, Uri rest, Uri grpc)
    {
        _app = app;
        RestUri = rest;
        GrpcUri = grpc;
        Http = new HttpClient { BaseAddress = rest, Timeout = TimeSpan.FromSeconds(60) };
        Channel = GrpcChannel.ForAddress(grpc, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
        Grpc = new Serving.OpenInference.Grpc.GRPCInferenceService.GRPCInferenceServiceClient(Channel);
    }

    public Uri RestUri { get; }

    public Uri GrpcUri { get; }

    public HttpClient Http { get; }

    public GrpcChannel Channel { get; }

    public Serving.OpenInference.Grpc.GRPCInferenceService.GRPCInferenceServiceClient Grpc { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts the server; with <paramref name="waitForModels"/>, returns once every model source has loaded.</summary>
    public static async Task<V2TestServer> StartAsync(Action<IServiceCollection> configure, bool waitForModels = true)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http1AndHttp2);
            k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2);
        });
        configure(builder.Services);
        var app = builder.Build();
        app.MapOpenInference();
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToArray();
        var server = new V2TestServer(app, addresses[0], addresses[1]);
        if (waitForModels)
        {
            await server.Services.GetRequiredService<ModelRegistry>().Loaded.WaitAsync(TimeSpan.FromSeconds(120));
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
