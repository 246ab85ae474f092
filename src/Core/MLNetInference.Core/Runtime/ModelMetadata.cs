using Microsoft.ML.OnnxRuntime;

namespace MLNetInference.Core.Runtime;

/// <summary>The inputs and outputs of a loaded model.</summary>
public sealed class ModelMetadata
{
    internal ModelMetadata(IReadOnlyList<TensorMetadata> inputs, IReadOnlyList<TensorMetadata> outputs)
    {
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>Gets the model inputs, in the model's order.</summary>
    public IReadOnlyList<TensorMetadata> Inputs { get; }

    /// <summary>Gets the model outputs, in the model's order.</summary>
    public IReadOnlyList<TensorMetadata> Outputs { get; }

    /// <summary>Finds an input by name.</summary>
    /// <param name="name">The input name.</param>
    /// <returns>The input, or <see langword="null"/>.</returns>
    public TensorMetadata? FindInput(string name) => Find(Inputs, name);

    /// <summary>Finds an output by name.</summary>
    /// <param name="name">The output name.</param>
    /// <returns>The output, or <see langword="null"/>.</returns>
    public TensorMetadata? FindOutput(string name) => Find(Outputs, name);

    /// <inheritdoc/>
    public override string ToString()
        => $"inputs: {string.Join("; ", Inputs)} | outputs: {string.Join("; ", Outputs)}";

    internal static ModelMetadata FromSession(InferenceSession session)
    {
        return new ModelMetadata(Convert(session.InputMetadata, session.InputNames), Convert(session.OutputMetadata, session.OutputNames));
    }

    private static TensorMetadata[] Convert(IReadOnlyDictionary<string, NodeMetadata> metadata, IReadOnlyList<string> order)
    {
        var result = new TensorMetadata[order.Count];
        for (var i = 0; i < order.Count; i++)
        {
            var node = metadata[order[i]];
            var dims = node.IsTensor ? (int[])node.Dimensions.Clone() : [];
            var symbolic = new string[dims.Length];
            for (var d = 0; d < dims.Length; d++)
            {
                symbolic[d] = node.IsTensor && node.SymbolicDimensions is { } s && d < s.Length ? s[d] ?? string.Empty : string.Empty;
            }

            result[i] = new TensorMetadata(order[i], i, node.IsTensor ? node.ElementDataType : default, dims, symbolic);
        }

        return result;
    }

    private static TensorMetadata? Find(IReadOnlyList<TensorMetadata> list, string name)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i].Name, name, StringComparison.Ordinal))
            {
                return list[i];
            }
        }

        return null;
    }
}
