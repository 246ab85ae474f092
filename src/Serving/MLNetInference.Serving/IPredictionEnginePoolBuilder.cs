using Microsoft.Extensions.DependencyInjection;

namespace MLNetInference.Serving;

/// <summary>Configures a <see cref="PredictionEnginePool{TData, TPrediction}"/> registered in a service collection.</summary>
/// <typeparam name="TData">The input row type.</typeparam>
/// <typeparam name="TPrediction">The prediction row type.</typeparam>
public interface IPredictionEnginePoolBuilder<TData, TPrediction>
    where TData : class
    where TPrediction : class, new()
{
    /// <summary>Gets the service collection the pool is registered in.</summary>
    IServiceCollection Services { get; }
}
