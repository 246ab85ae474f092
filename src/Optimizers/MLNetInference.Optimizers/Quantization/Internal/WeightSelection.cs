using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Optimizers.Quantization.Internal;

/// <summary>Which weight MatMuls a weight quantization pass may rewrite: the exclusion lists and the weight checks they share.</summary>
internal sealed class WeightSelection
{
    private readonly HashSet<string> _excludedOps;
    private readonly HashSet<string> _excludedNodes;
    private readonly long _minimumElements;

    public WeightSelection(IEnumerable<string> excludedOpTypes, IEnumerable<string> excludedNodeNames, long minimumElements)
    {
        _excludedOps = new HashSet<string>(excludedOpTypes, StringComparer.Ordinal);
        _excludedNodes = new HashSet<string>(excludedNodeNames, StringComparer.Ordinal);
        _minimumElements = minimumElements;
    }

    /// <summary>Why <paramref name="node"/> with <paramref name="weight"/> is left alone, or <see langword="null"/> when it may be rewritten.</summary>
    public string? SkipReason(NodeProto node, TensorProto weight)
    {
        if (_excludedOps.Contains(node.OpType))
        {
            return "op type excluded";
        }

        if (_excludedNodes.Contains(node.Name))
        {
            return "node excluded";
        }

        if (weight.Dims.Count != 2)
        {
            return $"weight is {weight.Dims.Count}-D, not 2-D";
        }

        if (weight.DataLocation == TensorProto.Types.DataLocation.External)
        {
            return "weight is in external data that was not loaded";
        }

        var elements = weight.Dims[0] * weight.Dims[1];
        if (elements == 0)
        {
            return "weight is empty";
        }

        return elements < _minimumElements ? $"weight has {elements} elements, fewer than {_minimumElements}" : null;
    }
}
