using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Optimizers.Quantization;
using MLNetInference.Models;

namespace MLNetInference.Optimizers.Tests.Quantization;

[TestClass]
public sealed class QAttentionQuantizationPassTests
{
    private const int Hidden = 16;
    private const int Heads = 2;
    private const int Batch = 2;
    private const int Sequence = 5;

    [TestMethod]
    public void Quantize_FusedAttention_BecomesQAttentionCloseToFp32()
    {
        var model = AttentionModel();
        var original = OnnxModelIO.ToBytes(model);
        var pass = new QAttentionQuantizationPass();

        Assert.IsTrue(pass.Run(model));

        Assert.AreEqual(1, pass.QuantizedAttentions);
        var qAttention = model.Graph.Node.Single(n => n.OpType == "QAttention");
        Assert.AreEqual("com.microsoft", qAttention.Domain);
        Assert.AreEqual(8, qAttention.Input.Count, "input, weight, bias, input_scale, weight_scale, mask_index, input_zero_point, weight_zero_point");
        Assert.AreEqual("DynamicQuantizeLinear", model.Graph.Node.Single(n => n.Output.Contains(qAttention.Input[0])).OpType);
        Assert.AreEqual((long)Heads, qAttention.Attribute.Single(a => a.Name == "num_heads").I);
        var weightType = new DynamicInt8Options().WeightType == QuantizedWeightType.Int8 ? TensorProto.Types.DataType.Int8 : TensorProto.Types.DataType.Uint8;
        Assert.AreEqual((int)weightType, model.Graph.Initializer.Single(i => i.Name == qAttention.Input[1]).DataType);
        Assert.IsFalse(model.Graph.Initializer.Any(i => i.Name == "qkv_weight"), "the fp32 weight is removed");

        long[] mask = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
        var expected = Run(original, mask);
        var actual = Run(OnnxModelIO.ToBytes(model), mask);
        var cosine = System.Numerics.Tensors.TensorPrimitives.CosineSimilarity<float>(expected, actual);
        var maxDiff = expected.Zip(actual, (a, b) => MathF.Abs(a - b)).Max();
        Assert.IsGreaterThan(0.999f, cosine, $"cosine {cosine}, max abs diff {maxDiff}");
        Assert.IsGreaterThan(0f, maxDiff, "QAttention gives fp32's output exactly; was it quantized?");
    }

    [TestMethod]
    public void Quantize_AttentionExcludedByName_StaysAttention()
    {
        var model = AttentionModel();
        var pass = new QAttentionQuantizationPass(new DynamicInt8Options { ExcludedNodeNames = ["attention"] });

        Assert.IsFalse(pass.Run(model));

        Assert.AreEqual("Attention", model.Graph.Node.Single().OpType);
        Assert.HasCount(1, pass.Skipped);
    }

    [TestMethod]
    public void Quantize_AttentionWithUnknownAttribute_StaysAttention()
    {
        var model = AttentionModel();
        model.Graph.Node[0].Attribute.Add(new AttributeProto { Name = "qkv_hidden_sizes", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 16, 16, 16 } });

        Assert.IsFalse(new QAttentionQuantizationPass().Run(model));
        Assert.AreEqual("Attention", model.Graph.Node.Single().OpType);
    }

    [TestMethod]
    public void Constructor_NegativeMinimumWeightElements_Throws()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new QAttentionQuantizationPass(new DynamicInt8Options { MinimumWeightElements = -1 }));
    }

    private static ModelProto AttentionModel()
    {
        var b = new TestModelBuilder("attention").Input("x", "batch", "seq", Hidden)
            .Float("qkv_weight", [Hidden, 3 * Hidden], SmallGraphs.Random(Hidden * 3 * Hidden, seed: 3, magnitude: 0.5f))
            .Float("qkv_bias", [3 * Hidden], SmallGraphs.Random(3 * Hidden, seed: 4, magnitude: 0.1f))
            .Node("Attention", "attention", ["x", "qkv_weight", "qkv_bias", "mask"], ["y"])
            .Output("y", "batch", "seq", Hidden);
        var model = b.Build();
        model.Graph.Input.Add(TestModelBuilder.ValueInfo("mask", TensorProto.Types.DataType.Int32, ["batch", "seq"]));
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        var node = model.Graph.Node[0];
        node.Domain = "com.microsoft";
        node.Attribute.Add(new AttributeProto { Name = "num_heads", Type = AttributeProto.Types.AttributeType.Int, I = Heads });
        return model;
    }

    private static float[] Run(byte[] model, long[] mask)
    {
        using var session = new InferenceSession(model);
        var x = SmallGraphs.Random(Batch * Sequence * Hidden, seed: 5);
        var mask32 = mask.Select(m => (int)m).ToArray();
        using var xValue = OrtValue.CreateTensorValueFromMemory(x, [Batch, Sequence, Hidden]);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask32, [Batch, Sequence]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["x", "mask"], [xValue, maskValue], ["y"]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
