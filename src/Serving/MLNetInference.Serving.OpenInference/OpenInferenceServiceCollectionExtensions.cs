using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MLNetInference.Serving.OpenInference;
using MLNetInference.Serving.OpenInference.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Open Inference Protocol (KServe V2) server.</summary>
public static class OpenInferenceServiceCollectionExtensions
{
    /// <summary>
    /// Registers the V2 server's services (its model registry, statistics and the gRPC service) and a hosted service
    /// that loads its models in the background when the host starts; the server answers not ready (503) until they
    /// have loaded. Add models with <c>AddOnnxModel</c> or <c>AddPredictionEnginePool</c>, and map the endpoints with
    /// <c>MapOpenInference</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the server's name and limits; optional.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static IOpenInferenceBuilder AddOpenInference(this IServiceCollection services, Action<OpenInferenceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<OpenInferenceOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.Validate(o => o.Validate().Count == 0, "Invalid OpenInferenceOptions.").ValidateOnStart();
        services.AddOptions<OpenInferenceRegistrations>();
        services.TryAddSingleton<ModelRegistry>();
        services.TryAddSingleton(sp => new InferenceStatistics(sp.GetService<TimeProvider>()));
        services.TryAddSingleton<RestEndpoints>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ModelLoaderService>());
        services.AddGrpc();
        services.AddOptions<Grpc.AspNetCore.Server.GrpcServiceOptions<InferenceGrpcService>>()
            .Configure<IOptions<OpenInferenceOptions>>((grpc, server) => grpc.MaxReceiveMessageSize = server.Value.MaxRequestBodySize);
        return new OpenInferenceBuilder(services);
    }
}
