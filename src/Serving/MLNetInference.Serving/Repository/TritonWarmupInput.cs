namespace MLNetInference.Serving.Repository;

/// <summary>The data of one input of a warmup sample (a value of <c>model_warmup.inputs</c>).</summary>
public sealed class TritonWarmupInput
{
    /// <summary>Gets or sets the element type.</summary>
    public TritonDataType DataType { get; set; }

    /// <summary>Gets the fixed dimensions of the sample, without the batch dimension when the model batches.</summary>
    public IList<long> Dims { get; } = [];

    /// <summary>Gets or sets what the input is filled with.</summary>
    public TritonWarmupData Data { get; set; }

    /// <summary>Gets or sets the file under the model's <c>warmup</c> folder, when <see cref="Data"/> is <see cref="TritonWarmupData.File"/>.</summary>
    public string? InputDataFile { get; set; }
}
