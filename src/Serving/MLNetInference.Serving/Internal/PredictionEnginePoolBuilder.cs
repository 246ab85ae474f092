using Microsoft.Extensions.DependencyInjection;

namespace MLNetInference.Serving.Internal;

/// <summary>The builder <c>AddPredictionEnginePool</c> returns (no model), and each <c>From...</c> call (its model).</summary>
internal sealed record PredictionEnginePoolBuilder<TData, TPrediction>(IServiceCollection Services, string? ModelName = null) : IPredictionEnginePoolBuilder<TData, TPrediction>
    where TData : class
    where TPrediction : class, new();
