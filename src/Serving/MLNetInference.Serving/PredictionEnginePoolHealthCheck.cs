using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MLNetInference.Serving;

/// <summary>
/// Reports the models of a pool: healthy when all serve, degraded when a reload failed (the previous version
/// serves), and the registration's failure status (unhealthy by default) when a model is not loaded or the warm-up
/// at host start is still running.
/// </summary>
/// <typeparam name="TData">The input row type.</typeparam>
/// <typeparam name="TPrediction">The prediction row type.</typeparam>
public sealed class PredictionEnginePoolHealthCheck<TData, TPrediction> : IHealthCheck
    where TData : class
    where TPrediction : class, new()
{
    private readonly PredictionEnginePool<TData, TPrediction> _pool;

    /// <summary>Creates the check.</summary>
    /// <param name="pool">The pool to report on.</param>
    public PredictionEnginePoolHealthCheck(PredictionEnginePool<TData, TPrediction> pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        _pool = pool;
    }

    /// <inheritdoc/>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var failureStatus = context.Registration?.FailureStatus ?? HealthStatus.Unhealthy;

        if (_pool.IsWarmingUp)
        {
            return Task.FromResult(new HealthCheckResult(failureStatus, "The models are warming up."));
        }

        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var worst = HealthStatus.Healthy;
        var problems = new List<string>();
        foreach (var name in _pool.ModelNames)
        {
            var status = _pool.GetStatus(name);
            var label = name.Length == 0 ? "(default)" : name;
            data[label] = status.ToString();
            data[label + ".queue"] = _pool.GetQueueLength(name);
            var health = status switch
            {
                ModelStatus.Loaded or ModelStatus.Reloading => HealthStatus.Healthy,
                ModelStatus.ReloadFailed => HealthStatus.Degraded,
                _ => failureStatus,
            };
            if (health != HealthStatus.Healthy)
            {
                problems.Add($"{label}: {status} ({_pool.GetLastError(name)?.Message})");
            }

            worst = (HealthStatus)Math.Min((int)worst, (int)health);
        }

        var description = problems.Count == 0 ? "All models serve." : string.Join("; ", problems);
        return Task.FromResult(new HealthCheckResult(worst, description, data: data));
    }
}
