namespace MLNetInference.Serving.Repository;

/// <summary>One <c>model_warmup</c> sample: a request run when the model loads, before it is marked ready.</summary>
public sealed class TritonModelWarmup
{
    /// <summary>Gets or sets the sample name.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Gets or sets the batch size of the sample (1 for a model that does not batch).</summary>
    public int BatchSize { get; set; } = 1;

    /// <summary>Gets or sets how many times the sample runs; 0 means once.</summary>
    public int Count { get; set; }

    /// <summary>Gets the data of every model input, by input name.</summary>
    public IDictionary<string, TritonWarmupInput> Inputs { get; } = new SortedDictionary<string, TritonWarmupInput>(StringComparer.Ordinal);
}
