using Grpc.Net.Client;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>
/// One remote V2 server as a pooled model's workers share it: an <see cref="HttpClient"/> (or gRPC channel) whose
/// handler runs every call through the resilience pipeline (total timeout, retry, circuit breaker, attempt timeout),
/// disposed when the last worker lets go.
/// </summary>
internal sealed class RemoteConnection
{
    private int _users;
    private int _released;

    public RemoteConnection(Uri baseAddress, OpenInferenceClientOptions options)
    {
        Options = options;
        var resilience = options.Resilience;
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddTimeout(resilience.TotalRequestTimeout)
            .AddRetry(resilience.Retry)
            .AddCircuitBreaker(resilience.CircuitBreaker)
            .AddTimeout(resilience.AttemptTimeout)
            .Build();
        var handler = new ResilienceHandler(pipeline) { InnerHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true } };
        if (options.Protocol == OpenInferenceProtocol.Grpc)
        {
            Channel = GrpcChannel.ForAddress(baseAddress, new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = null, DisposeHttpClient = true });
            Grpc = new Serving.OpenInference.Grpc.GRPCInferenceService.GRPCInferenceServiceClient(Channel);
        }
        else
        {
            Http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        }
    }

    public OpenInferenceClientOptions Options { get; }

    /// <summary>Gets whether the last user let go and the client is disposed.</summary>
    public bool IsReleased => Volatile.Read(ref _released) != 0;

    public HttpClient? Http { get; }

    public GrpcChannel? Channel { get; }

    public Serving.OpenInference.Grpc.GRPCInferenceService.GRPCInferenceServiceClient? Grpc { get; }

    public RemoteConnection Acquire()
    {
        Interlocked.Increment(ref _users);
        return this;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _users) == 0)
        {
            Volatile.Write(ref _released, 1);
            Http?.Dispose();
            Channel?.Dispose();
        }
    }
}
