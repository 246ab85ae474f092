using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MLNetInference.Serving.Internal;

/// <summary>
/// Builds the pool when the host starts, which loads every model, and runs each model's warm-up examples once, so the
/// first request pays for neither. Host start waits for it.
/// </summary>
internal sealed partial class PredictionEnginePoolWarmUpService<TData, TPrediction> : IHostedService
    where TData : class
    where TPrediction : class, new()
{
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;

    public PredictionEnginePoolWarmUpService(IServiceProvider services, ILoggerFactory? loggerFactory = null)
    {
        _services = services;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("MLNetInference.Serving.PredictionEnginePool");
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Building the pool loads every model (its constructor), off the host's thread.
        var pool = await Task.Run(() => (PredictionEnginePool<TData, TPrediction>)_services.GetService(typeof(PredictionEnginePool<TData, TPrediction>))!, cancellationToken).ConfigureAwait(false);
        pool.MarkWarmingUp(running: true);
        try
        {
            foreach (var name in pool.ModelNames)
            {
                if (pool.GetStatus(name) == ModelStatus.Failed)
                {
                    continue;
                }

                foreach (var example in pool.Registrations.WarmUpFor(name))
                {
                    try
                    {
                        await pool.PredictAsync(name, example, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        LogWarmUpFailed(_logger, ex, PoolRegistrations<TData, TPrediction>.DisplayName(name));
                    }
                }
            }
        }
        finally
        {
            pool.MarkWarmingUp(running: false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning, Message = "The warm-up example of model '{ModelName}' failed; the model serves, and its first request will pay for the warm-up.")]
    private static partial void LogWarmUpFailed(ILogger logger, Exception exception, string modelName);
}
