using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using MLNetInference.Serving.OpenInference.Internal;

namespace MLNetInference.Serving.OpenInference;

/// <summary>Maps the Open Inference Protocol's REST endpoints and gRPC service.</summary>
public static class OpenInferenceEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the REST endpoints under <c>/v2</c> (health, server and model metadata, model ready, infer with JSON or
    /// binary tensors, statistics) and the gRPC service <c>inference.GRPCInferenceService</c>, which answers on any
    /// HTTP/2 endpoint of the server (h2c on a plain-text port).
    /// </summary>
    /// <param name="endpoints">The endpoint route builder (the web application).</param>
    /// <returns>The REST route group, for further conventions (authorization, host filters).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endpoints"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException"><c>AddOpenInference</c> was not called.</exception>
    public static RouteGroupBuilder MapOpenInference(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var rest = endpoints.ServiceProvider.GetService<RestEndpoints>()
            ?? throw new InvalidOperationException("Call services.AddOpenInference() before MapOpenInference().");
        endpoints.MapGrpcService<InferenceGrpcService>();

        var v2 = endpoints.MapGroup("/v2");
        v2.MapGet("/", rest.ServerMetadata);
        v2.MapGet("/health/live", rest.Live);
        v2.MapGet("/health/ready", rest.Ready);
        v2.MapGet("/models/stats", (HttpContext c) => rest.Statistics(c, null, null));
        v2.MapGet("/models/{model}", (HttpContext c, string model) => rest.ModelMetadata(c, model, null));
        v2.MapGet("/models/{model}/versions/{version}", (HttpContext c, string model, string version) => rest.ModelMetadata(c, model, version));
        v2.MapGet("/models/{model}/ready", (HttpContext c, string model) => rest.ModelReady(c, model, null));
        v2.MapGet("/models/{model}/versions/{version}/ready", (HttpContext c, string model, string version) => rest.ModelReady(c, model, version));
        v2.MapGet("/models/{model}/stats", (HttpContext c, string model) => rest.Statistics(c, model, null));
        v2.MapGet("/models/{model}/versions/{version}/stats", (HttpContext c, string model, string version) => rest.Statistics(c, model, version));
        v2.MapPost("/models/{model}/infer", (HttpContext c, string model) => rest.Infer(c, model, null));
        v2.MapPost("/models/{model}/versions/{version}/infer", (HttpContext c, string model, string version) => rest.Infer(c, model, version));
        return v2;
    }
}
