using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Models;

namespace MLNetInference.Serving.OpenInference.Tests;

/// <summary>
/// A fixture model that answers every datatype: input <c>x</c> FP32 [batch, 3] is cast to one output per V2 datatype
/// (<c>y_BOOL</c>, <c>y_UINT8</c>, ... <c>y_FP64</c>), and the INT32, INT64 and FP64 inputs come back unchanged.
/// </summary>
internal static class CastModel
{
    public static readonly (string DataType, TensorProto.Types.DataType Onnx)[] Outputs =
    [
        ("BOOL", TensorProto.Types.DataType.Bool),
        ("UINT8", TensorProto.Types.DataType.Uint8),
        ("UINT16", TensorProto.Types.DataType.Uint16),
        ("UINT32", TensorProto.Types.DataType.Uint32),
        ("UINT64", TensorProto.Types.DataType.Uint64),
        ("INT8", TensorProto.Types.DataType.Int8),
        ("INT16", TensorProto.Types.DataType.Int16),
        ("INT32", TensorProto.Types.DataType.Int32),
        ("INT64", TensorProto.Types.DataType.Int64),
        ("FP16", TensorProto.Types.DataType.Float16),
        ("FP32", TensorProto.Types.DataType.Float),
        ("FP64", TensorProto.Types.DataType.Double),
    ];

    private static readonly Lazy<string> SharedPath = new(() =>
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"mlnetinference-v2-cast-{Environment.ProcessId}.onnx");
        File.WriteAllBytes(path, Build());
        return path;
    });

    public static string Path => SharedPath.Value;

    public static byte[] Build()
    {
        var builder = new TestModelBuilder("cast").Input("x", "batch", 3);
        var model = builder.Build();
        foreach (var (name, onnx) in Outputs)
        {
            var node = new NodeProto { OpType = "Cast", Name = $"cast_{name}" };
            node.Input.Add("x");
            node.Output.Add($"y_{name}");
            node.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)onnx });
            model.Graph.Node.Add(node);
            model.Graph.Output.Add(TestModelBuilder.ValueInfo($"y_{name}", onnx, ["batch", 3]));
        }

        foreach (var (name, onnx) in new[] { ("i32", TensorProto.Types.DataType.Int32), ("i64", TensorProto.Types.DataType.Int64), ("f64", TensorProto.Types.DataType.Double) })
        {
            model.Graph.Input.Add(TestModelBuilder.ValueInfo(name, onnx, ["batch", 2]));
            var node = new NodeProto { OpType = "Identity", Name = $"id_{name}" };
            node.Input.Add(name);
            node.Output.Add($"{name}_out");
            model.Graph.Node.Add(node);
            model.Graph.Output.Add(TestModelBuilder.ValueInfo($"{name}_out", onnx, ["batch", 2]));
        }

        return OnnxModelIO.ToBytes(model);
    }

    /// <summary>The value an output of <paramref name="dataType"/> holds for input value <paramref name="x"/>, as a double.</summary>
    public static double Expected(string dataType, float x) => dataType switch
    {
        "BOOL" => x != 0 ? 1 : 0,
        "UINT8" => (byte)x,
        "UINT16" => (ushort)x,
        "UINT32" => (uint)x,
        "UINT64" => (ulong)x,
        "INT8" => (sbyte)x,
        "INT16" => (short)x,
        "INT32" => (int)x,
        "INT64" => (long)x,
        "FP16" => (double)(Half)x,
        "FP32" => x,
        _ => (double)x,
    };
}
