using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Core.Onnx;

/// <summary>
/// Turns a batch dimension fixed at 1 into a symbolic one, when a static check finds nothing in the graph
/// that hard-codes the batch size (Reshape/Expand/Tile/ConstantOfShape targets whose leading entry is 1).
/// </summary>
/// <remarks>
/// Intermediate <c>value_info</c> shapes are dropped, because they were inferred for batch 1; ONNX Runtime
/// infers them again at load. A caller should still verify the rewritten model numerically, as the batch
/// runner does, since a static check cannot see every way a graph may depend on its batch size.
/// </remarks>
public static class BatchDimensionRewriter
{
    /// <summary>The symbolic name given to the rewritten batch dimension.</summary>
    public const string BatchDimensionName = "batch";

    /// <summary>Tells whether every graph input and output has a leading dimension fixed at 1.</summary>
    /// <param name="model">The model to inspect.</param>
    /// <returns><see langword="true"/> when the model's batch dimension is pinned to 1.</returns>
    public static bool HasFixedUnitBatch(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var initializers = InitializerNames(model.Graph);
        var any = false;
        foreach (var value in model.Graph.Input)
        {
            if (initializers.Contains(value.Name))
            {
                continue;
            }

            if (!LeadingDimIsOne(value))
            {
                return false;
            }

            any = true;
        }

        return any;
    }

    /// <summary>Rewrites the leading dimension of every graph input and output from 1 to <see cref="BatchDimensionName"/>.</summary>
    /// <param name="model">The model, modified in place on success.</param>
    /// <param name="reason">Why the rewrite was refused, or what was rewritten.</param>
    /// <returns><see langword="true"/> when the model was rewritten.</returns>
    public static bool TryMakeBatchSymbolic(ModelProto model, out string reason)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        if (!HasFixedUnitBatch(model))
        {
            reason = "the graph inputs do not all have a leading dimension fixed at 1";
            return false;
        }

        var constants = ConstantInts(graph);
        foreach (var node in graph.Node)
        {
            var shapeInput = node.OpType switch
            {
                "Reshape" or "Expand" or "Tile" => node.Input.Count > 1 ? node.Input[1] : null,
                "ConstantOfShape" => node.Input.Count > 0 ? node.Input[0] : null,
                _ => null,
            };
            if (shapeInput is null)
            {
                continue;
            }

            if (!constants.TryGetValue(shapeInput, out var values))
            {
                // A computed shape (Shape → Gather → Concat) follows the actual batch size.
                continue;
            }

            if (values.Length > 0 && values[0] == 1)
            {
                reason = $"node '{node.Name}' ({node.OpType}) uses the constant shape [{string.Join(", ", values)}], which pins the batch size to 1";
                return false;
            }
        }

        var initializers = InitializerNames(graph);
        var rewritten = 0;
        foreach (var value in graph.Input)
        {
            if (!initializers.Contains(value.Name) && LeadingDimIsOne(value))
            {
                SetLeadingSymbolic(value);
                rewritten++;
            }
        }

        foreach (var value in graph.Output)
        {
            if (LeadingDimIsOne(value))
            {
                SetLeadingSymbolic(value);
                rewritten++;
            }
        }

        graph.ValueInfo.Clear();
        reason = $"rewrote the batch dimension of {rewritten} graph inputs and outputs from 1 to '{BatchDimensionName}'";
        return true;
    }

    private static HashSet<string> InitializerNames(GraphProto graph)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var init in graph.Initializer)
        {
            names.Add(init.Name);
        }

        return names;
    }

    private static bool LeadingDimIsOne(ValueInfoProto value)
    {
        var shape = value.Type?.TensorType?.Shape;
        return shape is not null && shape.Dim.Count > 0
            && shape.Dim[0].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue
            && shape.Dim[0].DimValue == 1;
    }

    private static void SetLeadingSymbolic(ValueInfoProto value)
    {
        value.Type.TensorType.Shape.Dim[0].DimParam = BatchDimensionName;
    }

    private static Dictionary<string, long[]> ConstantInts(GraphProto graph)
    {
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var init in graph.Initializer)
        {
            if (TensorData.TryReadInt64(init, out var values))
            {
                result[init.Name] = values;
            }
        }

        foreach (var node in graph.Node)
        {
            if (node.OpType != "Constant" || node.Output.Count != 1)
            {
                continue;
            }

            foreach (var attr in node.Attribute)
            {
                if (attr.Name == "value" && attr.T is not null && TensorData.TryReadInt64(attr.T, out var values))
                {
                    result[node.Output[0]] = values;
                }
                else if (attr.Name == "value_ints")
                {
                    result[node.Output[0]] = [.. attr.Ints];
                }
            }
        }

        return result;
    }
}
