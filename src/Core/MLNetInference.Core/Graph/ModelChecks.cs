using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Core.Graph;

/// <summary>Checks that a model is sane enough to optimize: plausible dimensions, consistent tensor data, an acyclic graph.</summary>
public static class ModelChecks
{
    /// <summary>The most elements a single tensor may declare (2^31).</summary>
    public const long MaxElementCount = 1L << 31;

    /// <summary>Validates a model, throwing on the first problem.</summary>
    /// <param name="model">The model.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    /// <exception cref="OnnxFormatException">
    /// The model has no graph; a graph input has no valid element type; a dimension is negative (other than a dynamic <c>-1</c> in a declared shape); a tensor's
    /// element count overflows or exceeds <see cref="MaxElementCount"/>; an initializer's raw data does not match its
    /// shape; external data lies outside the model's folder; a node reads a value nothing defines; or the graph has a cycle.
    /// </exception>
    public static void Validate(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Graph is null)
        {
            throw new OnnxFormatException("The model has no graph.");
        }

        var graph = model.Graph;
        foreach (var init in graph.Initializer)
        {
            CheckTensor(init, $"initializer '{init.Name}'");
        }

        foreach (var info in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo))
        {
            CheckDeclaredShape(info);
        }

        foreach (var input in graph.Input)
        {
            if (input.Type?.TensorType is { } tensorType
                && (tensorType.ElemType == (int)TensorProto.Types.DataType.Undefined || !Enum.IsDefined((TensorProto.Types.DataType)tensorType.ElemType)))
            {
                throw new OnnxFormatException(
                    $"Graph input '{input.Name}' declares the element type {tensorType.ElemType}, which is not an ONNX tensor type.");
            }
        }

        var onnxGraph = new OnnxGraph(model);
        var defined = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in graph.Input)
        {
            defined.Add(input.Name);
        }

        foreach (var init in graph.Initializer)
        {
            defined.Add(init.Name);
        }

        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output)
            {
                defined.Add(output);
            }

            foreach (var attribute in node.Attribute)
            {
                if (attribute.T is not null)
                {
                    CheckTensor(attribute.T, $"attribute '{attribute.Name}' of node {OnnxGraph.Describe(node)}");
                }
            }
        }

        foreach (var node in graph.Node)
        {
            foreach (var input in node.Input)
            {
                if (input.Length > 0 && !defined.Contains(input))
                {
                    throw new OnnxFormatException(
                        $"Node {OnnxGraph.Describe(node)} reads value '{input}', which no graph input, initializer or node defines.");
                }
            }
        }

        foreach (var output in graph.Output)
        {
            if (!defined.Contains(output.Name))
            {
                throw new OnnxFormatException($"Graph output '{output.Name}' is not defined by any node, input or initializer.");
            }
        }

        onnxGraph.TopologicalOrder();
    }

    /// <summary>
    /// Checks every node of the main graph whose op the optimizer matches, emits or touches against the schema the
    /// model's opset imports select: its number of inputs and outputs, its required attributes, and attributes that
    /// moved to an input at that opset (such as <c>Unsqueeze</c>'s <c>axes</c> from opset 13).
    /// </summary>
    /// <param name="model">The model.</param>
    /// <returns>One line per node that does not fit, naming the node and what is wrong; empty when every checked node fits.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// Ops outside the table (those the optimizer never rewrites) are not checked, and neither are nodes inside
    /// subgraphs. A node of a domain the model does not import is reported.
    /// </remarks>
    public static IReadOnlyList<string> FindSchemaProblems(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var problems = new List<string>();
        if (model.Graph is null)
        {
            return problems;
        }

        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var opset in model.OpsetImport)
        {
            versions[OpsetInfo.NormalizeDomain(opset.Domain)] = opset.Version;
        }

        foreach (var node in model.Graph.Node)
        {
            long? version = versions.TryGetValue(OpsetInfo.NormalizeDomain(node.Domain), out var v) ? v : null;
            if (Internal.OpSchemaTable.Check(node, version) is { } problem)
            {
                problems.Add($"Node {OnnxGraph.Describe(node)}: {problem}.");
            }
        }

        return problems;
    }

    private static void CheckTensor(TensorProto tensor, string what)
    {
        long count = 1;
        foreach (var dim in tensor.Dims)
        {
            if (dim < 0)
            {
                throw new OnnxFormatException(
                    $"The {what} has a negative dimension {dim} in [{string.Join(", ", tensor.Dims)}]; tensor dimensions must be 0 or more.");
            }

            count = MultiplyChecked(count, dim, what, tensor.Dims);
        }

        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            CheckExternalData(tensor, what);
        }

        var elementSize = ElementSize((TensorProto.Types.DataType)tensor.DataType);
        if (elementSize > 0 && !tensor.RawData.IsEmpty && tensor.RawData.Length != count * elementSize)
        {
            throw new OnnxFormatException(
                $"The {what} declares [{string.Join(", ", tensor.Dims)}] ({count} elements of {elementSize} bytes) but holds {tensor.RawData.Length} bytes of raw data.");
        }
    }

    private static void CheckExternalData(TensorProto tensor, string what)
    {
        string? location = null;
        foreach (var entry in tensor.ExternalData)
        {
            switch (entry.Key)
            {
                case "location":
                    location = entry.Value;
                    break;
                case "offset" or "length" when !long.TryParse(entry.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _):
                    throw new OnnxFormatException($"The {what} gives external data {entry.Key} '{entry.Value}', which is not a non-negative integer; the model is corrupt.");
            }
        }

        if (string.IsNullOrEmpty(location))
        {
            throw new OnnxFormatException($"The {what} is marked as external data but names no location.");
        }

        // Without the model's folder at hand, a location is safe only when it is relative and never climbs out of it.
        if (Path.IsPathRooted(location) || location.StartsWith('/') || location.StartsWith('\\')
            || location.Split('/', '\\').Any(static part => part == ".."))
        {
            throw new OnnxFormatException(
                $"The {what} stores its data at '{location}', outside the model's folder; only relative paths inside the folder are allowed.");
        }
    }

    private static void CheckDeclaredShape(ValueInfoProto info)
    {
        var shape = info.Type?.TensorType?.Shape;
        if (shape is null)
        {
            return;
        }

        long count = 1;
        foreach (var dim in shape.Dim)
        {
            if (dim.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue)
            {
                continue;
            }

            var value = dim.DimValue;
            if (value == -1)
            {
                // Some exporters write -1 for a dynamic dimension.
                continue;
            }

            if (value < 0)
            {
                throw new OnnxFormatException(
                    $"Value '{info.Name}' declares the dimension {value}; a dimension must be 0 or more, or dynamic (a name, or -1).");
            }

            count = MultiplyChecked(count, value, $"value '{info.Name}'", shape.Dim.Select(d => d.DimValue));
        }
    }

    private static long MultiplyChecked(long count, long dim, string what, IEnumerable<long> dims)
    {
        long product;
        try
        {
            product = checked(count * dim);
        }
        catch (OverflowException ex)
        {
            throw new OnnxFormatException($"The {what} has dimensions [{string.Join(", ", dims)}] whose element count overflows a 64-bit integer.", ex);
        }

        if (product > MaxElementCount)
        {
            throw new OnnxFormatException(
                $"The {what} has dimensions [{string.Join(", ", dims)}]: more than {MaxElementCount} elements, which no model here can hold.");
        }

        return product;
    }

    private static int ElementSize(TensorProto.Types.DataType type) => type switch
    {
        TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Uint32 => 4,
        TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Uint64 => 8,
        TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16
            or TensorProto.Types.DataType.Int16 or TensorProto.Types.DataType.Uint16 => 2,
        TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool => 1,
        _ => 0,
    };
}
