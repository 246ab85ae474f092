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

    /// <summary>
    /// Gets the model that settings made through this builder apply to: the one the last <c>FromFile</c>,
    /// <c>FromOnnxFile</c>, <c>FromUri</c> or <c>FromLoader</c> added; <see langword="null"/> on the builder
    /// <c>AddPredictionEnginePool</c> returns, whose settings apply to every model.
    /// </summary>
    string? ModelName { get; }
}
