namespace MLNetInference.Serving.Repository;

/// <summary>One <c>input</c> or <c>output</c> entry of a Triton model configuration.</summary>
/// <remarks>
/// When the model's <see cref="TritonModelConfig.MaxBatchSize"/> is above 0, <see cref="Dims"/> leaves out the batch
/// dimension, as Triton does; -1 marks a dimension the model does not fix.
/// </remarks>
public sealed class TritonTensorConfig
{
    /// <summary>Gets or sets the tensor name, as the ONNX model names it.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Gets or sets the element type.</summary>
    public TritonDataType DataType { get; set; }

    /// <summary>Gets the dimensions, without the batch dimension when the model batches; -1 for a variable one.</summary>
    public IList<long> Dims { get; } = [];

    /// <summary>
    /// Gets or sets the shape the backend sees, when it differs from <see cref="Dims"/> (same element count); <see langword="null"/>
    /// when there is no <c>reshape</c>. An empty list reshapes to a scalar per batch row, as Triton writes an input of shape [batch].
    /// </summary>
    public IList<long>? Reshape { get; set; }

    /// <summary>Gets or sets whether requests with different shapes of this input may share a batch (inputs only).</summary>
    public bool AllowRaggedBatch { get; set; }

    /// <summary>Gets or sets whether a request may leave this input out (inputs only).</summary>
    public bool Optional { get; set; }
}
