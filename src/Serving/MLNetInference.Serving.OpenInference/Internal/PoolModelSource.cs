using Microsoft.Extensions.DependencyInjection;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>Every model of a <see cref="PredictionEnginePool{TData, TPrediction}"/>; the default model is served as <c>default</c>.</summary>
internal sealed class PoolModelSource<TData, TPrediction> : IModelSource
    where TData : class
    where TPrediction : class, new()
{
    public const string DefaultModelName = "default";

    public IReadOnlyList<IInferenceModel> Load(IServiceProvider services)
    {
        // Resolving the pool loads its models.
        var pool = services.GetRequiredService<PredictionEnginePool<TData, TPrediction>>();
        var models = new List<IInferenceModel>();
        foreach (var name in pool.ModelNames)
        {
            models.Add(new PoolModel<TData, TPrediction>(name.Length == 0 ? DefaultModelName : name, name, () => pool));
        }

        return models;
    }
}
