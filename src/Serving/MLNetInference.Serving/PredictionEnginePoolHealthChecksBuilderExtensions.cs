using Microsoft.Extensions.Diagnostics.HealthChecks;
using MLNetInference.Serving;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the health check of a prediction engine pool.</summary>
public static class PredictionEnginePoolHealthChecksBuilderExtensions
{
    /// <summary>The check's name when none is given.</summary>
    public const string DefaultName = "prediction-engine-pool";

    /// <summary>Adds a check that reports each model of the pool: loaded, reloading, reload failed or failed.</summary>
    /// <typeparam name="TData">The input row type.</typeparam>
    /// <typeparam name="TPrediction">The prediction row type.</typeparam>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">The status reported when a model is not loaded (or the check fails);
    /// <see cref="HealthStatus.Unhealthy"/> when <see langword="null"/>.</param>
    /// <param name="tags">Tags that health endpoints filter on, for example <c>ready</c>.</param>
    /// <param name="timeout">How long the check may run; no limit when <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="name"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// The parameters are those of the framework's own <c>AddCheck</c>. A model whose reload failed (the previous
    /// version still serves) is reported <see cref="HealthStatus.Degraded"/>, whatever <paramref name="failureStatus"/> is.
    /// </remarks>
    public static IHealthChecksBuilder AddPredictionEnginePool<TData, TPrediction>(
        this IHealthChecksBuilder builder,
        string name = DefaultName,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        TimeSpan? timeout = null)
        where TData : class
        where TPrediction : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(name);
        return builder.AddCheck<PredictionEnginePoolHealthCheck<TData, TPrediction>>(name, failureStatus, tags ?? [], timeout);
    }
}
