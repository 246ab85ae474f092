using Google.Protobuf;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;

namespace MLNetInference.Optimizers.Quantization.Internal;

/// <summary>
/// Symmetric 8-bit quantization of a [K, N] weight matrix: scale = max|w| / qmax per output column (or for the whole
/// tensor), with zero point 0 for int8 and 128 (64 with a reduced range) for uint8.
/// </summary>
internal static class SymmetricWeightQuantizer
{
    /// <summary>The quantized weights, their scales (N or 1) and zero points (same count).</summary>
    internal sealed record Result(byte[] Values, float[] Scales, byte[] ZeroPoints, TensorProto.Types.DataType Type);

    public static Result Quantize(ReadOnlySpan<float> weights, int rows, int columns, DynamicInt8Options options)
    {
        var signed = options.WeightType == QuantizedWeightType.Int8;
        var qmax = options.ReduceRange ? 63 : 127;
        var zeroPoint = signed ? 0 : (options.ReduceRange ? 64 : 128);
        var groups = options.PerChannel ? columns : 1;
        var scales = new float[groups];
        for (var k = 0; k < rows; k++)
        {
            var row = weights.Slice(k * columns, columns);
            for (var n = 0; n < columns; n++)
            {
                var g = options.PerChannel ? n : 0;
                scales[g] = Math.Max(scales[g], Math.Abs(row[n]));
            }
        }

        for (var g = 0; g < groups; g++)
        {
            var scale = scales[g] / qmax;
            scales[g] = scale > 0f && float.IsFinite(scale) ? scale : 1f;
        }

        var values = new byte[rows * columns];
        for (var k = 0; k < rows; k++)
        {
            for (var n = 0; n < columns; n++)
            {
                var scale = scales[options.PerChannel ? n : 0];
                var q = (int)Math.Clamp(MathF.Round(weights[(k * columns) + n] / scale, MidpointRounding.ToEven), -qmax, qmax);
                values[(k * columns) + n] = signed ? unchecked((byte)(sbyte)q) : (byte)(q + zeroPoint);
            }
        }

        var zeroPoints = new byte[groups];
        Array.Fill(zeroPoints, (byte)zeroPoint);
        return new Result(values, scales, zeroPoints, signed ? TensorProto.Types.DataType.Int8 : TensorProto.Types.DataType.Uint8);
    }

    /// <summary>
    /// Quantizes a [rows, columns] weight and adds its values, scales and zero points to the graph as initializers
    /// named after the weight.
    /// </summary>
    /// <returns>The names of the three initializers.</returns>
    public static Initializers AddQuantized(OnnxGraph graph, string weightName, ReadOnlySpan<float> values, int rows, int columns, DynamicInt8Options options)
    {
        var result = Quantize(values, rows, columns, options);
        var names = new Initializers(graph.GenerateUniqueName($"{weightName}_quantized"), graph.GenerateUniqueName($"{weightName}_scale"), graph.GenerateUniqueName($"{weightName}_zero_point"));
        long[] groupDims = options.PerChannel ? [columns] : [];
        var q = new TensorProto { Name = names.Values, DataType = (int)result.Type, RawData = ByteString.CopyFrom(result.Values) };
        q.Dims.Add(rows);
        q.Dims.Add(columns);
        var zero = new TensorProto { Name = names.ZeroPoint, DataType = (int)result.Type, RawData = ByteString.CopyFrom(result.ZeroPoints) };
        zero.Dims.AddRange(groupDims);
        graph.AddInitializer(q);
        graph.AddInitializer(TensorData.FromFloat(names.Scale, groupDims, result.Scales));
        graph.AddInitializer(zero);
        return names;
    }

    /// <summary>The initializers of one quantized weight.</summary>
    internal sealed record Initializers(string Values, string Scale, string ZeroPoint);
}
