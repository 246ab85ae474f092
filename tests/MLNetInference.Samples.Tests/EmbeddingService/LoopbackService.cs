using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using MLNetInference.Samples.EmbeddingService.Api;
using static MLNetInference.Samples.Tests.EmbeddingServiceFixture;

namespace MLNetInference.Samples.Tests.EmbeddingService;

/// <summary>The embedding service on real Kestrel at 127.0.0.1 with a port of its own, in this process, as the fault and bomb tests use it.</summary>
internal sealed class LoopbackService : IAsyncDisposable
{
    /// <summary>Hang guard for one HTTP call; nothing here comes near it unless the service stops answering.</summary>
    public static readonly TimeSpan CallGuard = TimeSpan.FromSeconds(60);

    private LoopbackService(WebApplication app, Uri baseAddress)
    {
        App = app;
        BaseAddress = baseAddress;
    }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    /// <summary>Builds and starts the service on the shared zip (or <c>Embedder:ModelPath</c> among <paramref name="settings"/>).</summary>
    public static async Task<LoopbackService> StartAsync(CancellationToken cancellationToken, params string[] settings)
    {
        var app = Program.BuildApp(
        [
            "--urls=http://127.0.0.1:0",
            $"--Embedder:ModelPath={ModelPath}",
            "--Logging:LogLevel:Default=Warning",
            .. settings.Select(s => "--" + s),
        ]);
        await app.StartAsync(cancellationToken);
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        Assert.AreEqual("127.0.0.1", address.Host, "the tests only talk to loopback");
        return new LoopbackService(app, address);
    }

    /// <summary>A client with its own connection pool; with <paramref name="from"/>, its connections come from that loopback address (127.0.0.2, ...).</summary>
    public HttpClient Client(IPAddress? from = null)
    {
        var handler = new SocketsHttpHandler();
        if (from is not null)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(from, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        return new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = CallGuard };
    }

    /// <summary>Embeds one text and returns the vector; fails the test on anything but 200.</summary>
    public async Task<float[]> EmbedAsync(HttpClient client, string text, CancellationToken cancellationToken)
    {
        using var http = await client.PostAsJsonAsync("/embed", new EmbedRequest(text), cancellationToken);
        var body = await http.Content.ReadAsStringAsync(cancellationToken);
        Assert.AreEqual(System.Net.HttpStatusCode.OK, http.StatusCode, body);
        var vector = JsonSerializer.Deserialize<EmbedResponse>(body, JsonSerializerOptions.Web)!.Embedding;
        Assert.HasCount(384, vector);
        return vector;
    }

    /// <summary>Reads <c>/health</c>: the overall status and the JSON body.</summary>
    public async Task<(string Status, string Body)> HealthAsync(HttpClient client, CancellationToken cancellationToken)
    {
        using var http = await client.GetAsync("/health", cancellationToken);
        var body = await http.Content.ReadAsStringAsync(cancellationToken);
        using var json = JsonDocument.Parse(body);
        return (json.RootElement.GetProperty("status").GetString()!, body);
    }

    /// <summary>Polls <c>/health</c> until its status is <paramref name="status"/>; the 60 s bound is a hang guard.</summary>
    public async Task<string> WaitForHealthAsync(string status, CancellationToken cancellationToken)
    {
        using var client = Client();
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        guard.CancelAfter(CallGuard);
        var last = string.Empty;
        while (!guard.IsCancellationRequested)
        {
            var (current, body) = await HealthAsync(client, cancellationToken);
            last = body;
            if (current == status)
            {
                return body;
            }

            await Task.Delay(20, CancellationToken.None);
        }

        Assert.Fail($"/health never reported {status}; last: {last}");
        return last;
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(CallGuard);
        await App.StopAsync(stop.Token);
        await App.DisposeAsync();
    }
}
