namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>A decoded infer request: its inputs, and which outputs it asks for (all when none are named).</summary>
internal sealed class InferenceRequest
{
    public InferenceRequest(string? id, IReadOnlyList<InferTensor> inputs, IReadOnlyList<RequestedOutput> outputs, bool binaryOutputs)
    {
        Id = id;
        Inputs = inputs;
        Outputs = outputs;
        BinaryOutputs = binaryOutputs;
    }

    public string? Id { get; }

    public IReadOnlyList<InferTensor> Inputs { get; }

    /// <summary>Gets the outputs asked for; empty means every output.</summary>
    public IReadOnlyList<RequestedOutput> Outputs { get; }

    /// <summary>Gets whether outputs not named in <see cref="Outputs"/> answer as binary data (Triton's <c>binary_data_output</c>).</summary>
    public bool BinaryOutputs { get; }

    public InferTensor? FindInput(string name)
    {
        foreach (var input in Inputs)
        {
            if (string.Equals(input.Name, name, StringComparison.Ordinal))
            {
                return input;
            }
        }

        return null;
    }
}

/// <summary>One output a request asks for, and whether it answers as binary data.</summary>
internal sealed record RequestedOutput(string Name, bool? Binary);
