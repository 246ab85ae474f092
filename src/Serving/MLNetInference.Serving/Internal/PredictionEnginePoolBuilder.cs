using Microsoft.Extensions.DependencyInjection;

namespace MLNetInference.Serving.Internal;

/// <summary>The builder <c>AddPredictionEnginePool</c> returns.</summary>
internal sealed record PredictionEnginePoolBuilder<TData, TPrediction>(IServiceCollection Services) : IPredictionEnginePoolBuilder<TData, TPrediction>
    where TData : class
    where TPrediction : class, new();
