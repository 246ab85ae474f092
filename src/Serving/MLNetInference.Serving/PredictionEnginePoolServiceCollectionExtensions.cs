using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
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
    /// <c>FromFile</c>, <c>FromOnnxFile</c>, <c>FromUri</c> or <c>FromLoader</c>, and batching settings with
    /// <c>WithDynamicBatching</c>. Settings are validated when the host starts.
    /// </summary>
    /// <remarks>
    /// <para>It also registers a hosted service that builds the pool when the host starts, which loads every model and runs
    /// the examples given to <c>WithWarmUpExample</c>, so the first request does not pay for loading. Without a host
    /// the pool is built, and its models loaded, when it is first resolved.</para>
    /// <para>The pool records its metrics (<see cref="PoolMetrics"/>) on a meter from the container's
    /// <see cref="IMeterFactory"/>, which this call registers when the host has not (<c>AddMetrics</c>), and its spans
    /// on the <see cref="PoolTracing.ActivitySourceName"/> source.</para>
    /// </remarks>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <returns>The builder; settings made on it apply to every model.</returns>
    public static IPredictionEnginePoolBuilder<TData, TPrediction> AddPredictionEnginePool<TData, TPrediction>(this IServiceCollection services)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<PoolRegistrations<TData, TPrediction>>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PoolRegistrations<TData, TPrediction>>, PoolRegistrationsValidator<TData, TPrediction>>());
        // One meter per service provider, from the host's meter factory, shared by every pool it holds.
        services.AddMetrics();
        services.TryAddSingleton(sp => new PoolInstruments(sp.GetRequiredService<IMeterFactory>()));
        services.TryAddSingleton(sp => new PredictionEnginePool<TData, TPrediction>(
            sp.GetRequiredService<IOptions<PoolRegistrations<TData, TPrediction>>>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetService<TimeProvider>(),
            sp));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PredictionEnginePoolWarmUpService<TData, TPrediction>>());
        return new PredictionEnginePoolBuilder<TData, TPrediction>(services);
    }
}
