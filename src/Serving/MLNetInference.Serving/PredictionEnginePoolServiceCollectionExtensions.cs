using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MLNetInference.Serving;
using MLNetInference.Serving.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a batching <see cref="PredictionEnginePool{TData, TPrediction}"/>.</summary>
public static class PredictionEnginePoolServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="PredictionEnginePool{TData, TPrediction}"/> singleton; add models with
    /// <c>FromFile</c> or <c>FromOnnxFile</c> and batching settings with <c>WithDynamicBatching</c>. Settings are
    /// validated when the host starts.
    /// </summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <returns>The builder.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> AddPredictionEnginePool<TData, TPrediction>(this IServiceCollection services)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<PoolRegistrations<TData, TPrediction>>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PoolRegistrations<TData, TPrediction>>, PoolRegistrationsValidator<TData, TPrediction>>());
        services.TryAddSingleton(sp => new PredictionEnginePool<TData, TPrediction>(
            sp.GetRequiredService<IOptions<PoolRegistrations<TData, TPrediction>>>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetService<TimeProvider>()));
        return new PredictionEnginePoolBuilder<TData, TPrediction>(services);
    }
}
