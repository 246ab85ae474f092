using MLNetInference.Serving;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the health check of a prediction engine pool.</summary>
public static class PredictionEnginePoolHealthChecksBuilderExtensions
{
    /// <summary>Adds a check that reports each model of the pool: loaded, reloading, reload failed or failed.</summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddPredictionEnginePool<TData, TPrediction>(this IHealthChecksBuilder builder, string name = "prediction-engine-pool")
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<PredictionEnginePoolHealthCheck<TData, TPrediction>>(name);
    }
}
