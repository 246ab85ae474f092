using Microsoft.Extensions.Options;

namespace MLNetInference.Serving.Internal;

/// <summary>What the DI builder registered for one pool: model sources and batching settings by model name.</summary>
internal sealed class PoolRegistrations<TData, TPrediction>
    where TData : class
    where TPrediction : class, new()
{
    public Dictionary<string, ModelSource> Models { get; } = new(StringComparer.Ordinal);

    /// <summary>Batching settings applied to every model, then per-model ones.</summary>
    public List<Action<DynamicBatchingOptions>> SharedBatching { get; } = [];

    public Dictionary<string, List<Action<DynamicBatchingOptions>>> ModelBatching { get; } = new(StringComparer.Ordinal);

    public Func<TData, int>? LengthSelector { get; set; }

    public List<Func<TData, string?>> Validators { get; } = [];

    /// <summary>For a model name: the model of the same pool that takes its requests when its queue is full.</summary>
    public Dictionary<string, string> Overflow { get; } = new(StringComparer.Ordinal);

    /// <summary>Examples run through every model at host start, then per-model ones.</summary>
    public List<TData> SharedWarmUp { get; } = [];

    public Dictionary<string, List<TData>> ModelWarmUp { get; } = new(StringComparer.Ordinal);

    public IEnumerable<TData> WarmUpFor(string modelName)
        => ModelWarmUp.TryGetValue(modelName, out var specific) ? SharedWarmUp.Concat(specific) : SharedWarmUp;

    public DynamicBatchingOptions BatchingFor(string modelName)
    {
        var options = new DynamicBatchingOptions();
        foreach (var configure in SharedBatching)
        {
            configure(options);
        }

        if (ModelBatching.TryGetValue(modelName, out var specific))
        {
            foreach (var configure in specific)
            {
                configure(options);
            }
        }

        return options;
    }

    public static string DisplayName(string modelName) => modelName.Length == 0 ? "(default)" : modelName;
}
