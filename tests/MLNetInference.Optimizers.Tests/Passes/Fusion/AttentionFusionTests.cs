using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Models;
using static MLNetInference.Optimizers.Tests.Passes.Fusion.FusionTestGraphs;

namespace MLNetInference.Optimizers.Tests.Passes.Fusion;

[TestClass]
public sealed class AttentionFusionTests
{
    private const int Heads = 2;
    private const int HeadSize = Hidden / Heads;

    [TestMethod]
    public void AttentionFusion_BertSelfAttention_BecomesOneAttentionAndCastWithSameValues()
    {
        var original = BuildAttention(extraOutput: false).Bytes();

        var (fused, report) = FuseAndVerify(original);

        Assert.AreEqual(1, Count(fused, "Attention"));
        Assert.AreEqual(1, Count(fused, "Cast"), "the int32 mask");
        Assert.HasCount(2, fused.Graph.Node);
        var attention = fused.Graph.Node.Single(n => n.OpType == "Attention");
        Assert.AreEqual((long)Heads, attention.Attribute.Single(a => a.Name == "num_heads").I);
        Assert.AreEqual(1f / MathF.Sqrt(HeadSize), attention.Attribute.Single(a => a.Name == "scale").F, 1e-6f);
        Assert.IsFalse(fused.Graph.Initializer.Any(t => t.Name is "wq" or "wk" or "wv"), "the separate weights are gone");
        Assert.IsLessThanOrEqualTo(1e-4, report.MaxAbsDiff);

        long[] mask = [1, 1, 1, 1, 1, 0];
        var expected = Run(original, mask);
        var actual = Run(OnnxModelIO.ToBytes(fused), mask);
        Assert.IsLessThanOrEqualTo(1e-4f, expected.Zip(actual, (a, b) => MathF.Abs(a - b)).Max());
    }

    [TestMethod]
    public void AttentionFusion_ScoresAlsoGraphOutput_LeavesAttentionUnfused()
    {
        var builder = BuildAttention(extraOutput: true);
        var before = builder.Build().Graph.Node.Count;

        var (fused, report) = FuseAndVerify(builder.Bytes());

        Assert.AreEqual(0, Count(fused, "Attention"));
        Assert.AreEqual(before, fused.Graph.Node.Count);
        Assert.AreEqual(0d, report.MaxAbsDiff);
    }

    private static float[] Run(byte[] model, long[] mask)
    {
        using var session = new InferenceSession(model);
        var x = Values(2 * 3 * Hidden, 1f);
        using var xValue = OrtValue.CreateTensorValueFromMemory(x, [2, 3, Hidden]);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, [2, 3]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["x", "attention_mask"], [xValue, maskValue], ["y"]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>x [batch, seq, 8], 2 heads of 4, the additive mask built from a 2-D 0/1 mask as BERT exports do.</summary>
    private static TestModelBuilder BuildAttention(bool extraOutput)
    {
        var b = new TestModelBuilder("attention").Input("x", "batch", "seq", Hidden);
        b.Build().Graph.Input.Add(TestModelBuilder.ValueInfo("attention_mask", TensorProto.Types.DataType.Int64, ["batch", "seq"]));
        b.Int64("axis1", [1], 1).Int64("axis2", [1], 2)
            .Int64("split_shape", [4], 0, 0, Heads, HeadSize)
            .Int64("merge_shape", [3], 0, 0, Hidden)
            .Float("one", [], 1f).Float("neg", [], -10000f).Float("root", [], MathF.Sqrt(HeadSize))
            .Node("Unsqueeze", "mask_u1", ["attention_mask", "axis1"], ["mask1"])
            .Node("Unsqueeze", "mask_u2", ["mask1", "axis2"], ["mask2"])
            .Node("Cast", "mask_cast", ["mask2"], ["maskf"]);
        Attr(b, "to", (long)TensorProto.Types.DataType.Float);
        b.Node("Sub", "mask_sub", ["one", "maskf"], ["inv"]).Node("Mul", "mask_mul", ["inv", "neg"], ["bias_mask"]);
        var seed = 0.3f;
        foreach (var (name, perm) in new[] { ("q", new long[] { 0, 2, 1, 3 }), ("k", [0, 2, 3, 1]), ("v", [0, 2, 1, 3]) })
        {
            seed += 0.1f;
            b.Float("w" + name, [Hidden, Hidden], Values(Hidden * Hidden, seed))
                .Float("b" + name, [Hidden], Values(Hidden, seed / 2))
                .Node("MatMul", name + "_mm", ["x", "w" + name], [name + "_p"])
                .Node("Add", name + "_add", ["b" + name, name + "_p"], [name + "_pb"])
                .Node("Reshape", name + "_split", [name + "_pb", "split_shape"], [name + "_4d"])
                .Node("Transpose", name + "_t", [name + "_4d"], [name + "_h"]);
            Attr(b, "perm", perm);
        }

        b.Node("MatMul", "qk", ["q_h", "k_h"], ["scores"])
            .Node("Div", "scale", ["scores", "root"], ["scaled"])
            .Node("Add", "masked", ["scaled", "bias_mask"], ["logits"])
            .Node("Softmax", "softmax", ["logits"], ["probs"]);
        Attr(b, "axis", -1L);
        b.Node("MatMul", "pv", ["probs", "v_h"], ["context"])
            .Node("Transpose", "merge_t", ["context"], ["context_t"]);
        Attr(b, "perm", 0, 2, 1, 3);
        b.Node("Reshape", "merge", ["context_t", "merge_shape"], ["y"]).Output("y", "batch", "seq", Hidden);
        if (extraOutput)
        {
            b.Output("scores", "batch", Heads, "seq", "seq");
        }

        return b;
    }

    private static void Attr(TestModelBuilder b, string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name };
        if (name == "perm")
        {
            attribute.Type = AttributeProto.Types.AttributeType.Ints;
            attribute.Ints.AddRange(values);
        }
        else
        {
            attribute.Type = AttributeProto.Types.AttributeType.Int;
            attribute.I = values[0];
        }

        b.Build().Graph.Node[^1].Attribute.Add(attribute);
    }
}
