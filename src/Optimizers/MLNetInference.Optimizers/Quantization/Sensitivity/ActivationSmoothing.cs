using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Optimizers.Quantization.Sensitivity;

/// <summary>Moves the scale of a MatMul's outlier input channels into its weight rows (see <see cref="SensitiveMatMulTreatment.SmoothActivations"/>).</summary>
internal static class ActivationSmoothing
{
    private const float MinFactor = 1e-4f;
    private const float MaxFactor = 1e4f;

    /// <summary>Smooths the MatMul named <paramref name="nodeName"/>; <see langword="false"/> when it is not a float-weight MatMul.</summary>
    public static bool Apply(ModelProto model, string nodeName, float[] channelMax)
    {
        var graph = model.Graph;
        var node = graph.Node.FirstOrDefault(n => n.Name == nodeName && n.OpType == "MatMul" && n.Input.Count == 2);
        var weight = node is null ? null : graph.Initializer.FirstOrDefault(i => i.Name == node.Input[1]);
        if (node is null || weight is null || weight.Dims.Count != 2 || weight.DataType != (int)TensorProto.Types.DataType.Float
            || weight.Dims[0] != channelMax.Length || !TensorData.TryReadFloat(weight, out var values))
        {
            return false;
        }

        var k = (int)weight.Dims[0];
        var n = (int)weight.Dims[1];
        var factors = new float[k];
        var inverse = new float[k];
        for (var row = 0; row < k; row++)
        {
            var weightMax = 0f;
            for (var col = 0; col < n; col++)
            {
                weightMax = Math.Max(weightMax, Math.Abs(values[(row * n) + col]));
            }

            var factor = channelMax[row] > 0f && weightMax > 0f ? MathF.Sqrt(channelMax[row] / weightMax) : 1f;
            factors[row] = float.IsFinite(factor) ? Math.Clamp(factor, MinFactor, MaxFactor) : 1f;
            inverse[row] = 1f / factors[row];
            for (var col = 0; col < n; col++)
            {
                values[(row * n) + col] *= factors[row];
            }
        }

        var names = new HashSet<string>(graph.Initializer.Select(i => i.Name).Concat(graph.Node.SelectMany(x => x.Output)).Concat(graph.Input.Select(i => i.Name)), StringComparer.Ordinal);
        var weightName = Fresh(names, $"{weight.Name}_smoothed");
        var inverseName = Fresh(names, $"{nodeName}_smooth_inverse");
        var smoothedInput = Fresh(names, $"{node.Input[0]}_smoothed");
        graph.Initializer.Add(TensorData.FromFloat(weightName, [k, n], values));
        graph.Initializer.Add(TensorData.FromFloat(inverseName, [k], inverse));
        var mul = new NodeProto { Name = Fresh(names, $"{nodeName}_smooth"), OpType = "Mul" };
        mul.Input.AddRange([node.Input[0], inverseName]);
        mul.Output.Add(smoothedInput);
        graph.Node.Insert(graph.Node.IndexOf(node), mul);
        node.Input[0] = smoothedInput;
        node.Input[1] = weightName;
        if (!graph.Node.Any(x => x.Input.Contains(weight.Name)))
        {
            graph.Initializer.Remove(weight);
        }

        return true;
    }

    private static string Fresh(HashSet<string> names, string baseName)
    {
        var name = baseName;
        for (var i = 1; !names.Add(name); i++)
        {
            name = $"{baseName}_{i}";
        }

        return name;
    }
}
