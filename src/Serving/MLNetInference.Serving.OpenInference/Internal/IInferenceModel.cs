namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>One model the V2 server serves: its metadata, its readiness, and inference on decoded tensors.</summary>
internal interface IInferenceModel
{
    string Name { get; }

    string Version { get; }

    /// <summary>Gets the platform shown in metadata (<c>onnxruntime_onnx</c>, <c>mlnet</c>).</summary>
    string Platform { get; }

    IReadOnlyList<TensorSpec> Inputs { get; }

    IReadOnlyList<TensorSpec> Outputs { get; }

    /// <summary>Gets whether the model serves requests now.</summary>
    bool IsReady { get; }

    /// <summary>Gets the name the pool's metrics tag this model's batches with.</summary>
    string MetricsName { get; }

    /// <summary>Runs one request: its N rows join the model's batcher as N rows.</summary>
    /// <exception cref="OpenInferenceException">The request does not fit the model, or the model cannot serve it.</exception>
    Task<IReadOnlyList<InferTensor>> InferAsync(InferenceRequest request, CancellationToken cancellationToken);
}
