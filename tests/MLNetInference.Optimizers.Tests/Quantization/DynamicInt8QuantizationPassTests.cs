using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Optimizers.Quantization;
using static MLNetInference.Optimizers.Tests.Quantization.SmallGraphs;

namespace MLNetInference.Optimizers.Tests.Quantization;

[TestClass]
public sealed class DynamicInt8QuantizationPassTests
{
    private static readonly float[] X = SmallGraphs.Random(Rows * Inner, 1);
    private static readonly float[] W = SmallGraphs.Random(Inner * Columns, 2, 0.5f);
    private static readonly float[] Bias = SmallGraphs.Random(Columns, 3);

    [TestMethod]
    [DataRow(true, false, QuantizedWeightType.Int8, DisplayName = "per-channel int8")]
    [DataRow(false, false, QuantizedWeightType.Int8, DisplayName = "per-tensor int8")]
    [DataRow(true, true, QuantizedWeightType.Int8, DisplayName = "per-channel int8 reduce-range")]
    [DataRow(true, false, QuantizedWeightType.UInt8, DisplayName = "per-channel uint8")]
    [DataRow(false, true, QuantizedWeightType.UInt8, DisplayName = "per-tensor uint8 reduce-range")]
    public void Run_MatMulAdd_OutputWithinQuantizationErrorOfFp32(bool perChannel, bool reduceRange, QuantizedWeightType type)
    {
        if (type == QuantizedWeightType.Int8 && !reduceRange && CpuInt8Kernels.SaturatesFullRangeInt8Weights)
        {
            Assert.Inconclusive("This CPU has no VNNI: ONNX Runtime's u8×s8 kernel saturates with full-range int8 weights, so the quantization error bound does not hold here (uint8 weights are the default on such CPUs).");
        }

        var model = MatMulAdd(W, Bias);
        var expected = SmallGraphs.Run(model, X);
        var options = new DynamicInt8Options { PerChannel = perChannel, ReduceRange = reduceRange, WeightType = type };

        Assert.IsTrue(new DynamicInt8QuantizationPass(options).Run(model));
        var actual = SmallGraphs.Run(model, X);

        var bound = ErrorBound(X, W, perChannel, reduceRange);
        var exact = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.IsLessThanOrEqualTo(bound[i], Math.Abs(actual[i] - expected[i]), $"element {i}: int8 {actual[i]}, fp32 {expected[i]}");
            exact += actual[i] == expected[i] ? 1 : 0;
        }

        Assert.IsLessThan(expected.Length / 2, exact, "the output barely changed; was the weight quantized at all?");
    }

    [TestMethod]
    public void Options_Default_WeightTypeAvoidsThisCpusSaturatingKernel()
    {
        var expected = CpuInt8Kernels.SaturatesFullRangeInt8Weights ? QuantizedWeightType.UInt8 : QuantizedWeightType.Int8;

        Assert.AreEqual(expected, new DynamicInt8Options().WeightType);
    }

    [TestMethod]
    public void Run_MatMulAdd_FoldsBiasIntoOneDynamicQuantizeMatMul()
    {
        var model = MatMulAdd(W, Bias);
        var pass = new DynamicInt8QuantizationPass(new DynamicInt8Options { WeightType = QuantizedWeightType.Int8 });

        Assert.IsTrue(pass.Run(model));

        var node = model.Graph.Node.Single();
        Assert.AreEqual("DynamicQuantizeMatMul", node.OpType);
        Assert.AreEqual("com.microsoft", node.Domain);
        Assert.AreEqual("matmul", node.Name);
        Assert.HasCount(5, node.Input);
        Assert.AreEqual("X", node.Input[0]);
        Assert.AreEqual("bias", node.Input[4]);
        Assert.AreEqual("Y", node.Output.Single());
        Assert.AreEqual(1, pass.LastSummary!.FoldedBiases);
        Assert.AreEqual(1, model.OpsetImport.Count(o => o.Domain == "com.microsoft" && o.Version == 1));
        CollectionAssert.DoesNotContain(model.Graph.Initializer.Select(i => i.Name).ToList(), "W", "the fp32 weight should be gone");
        var weight = model.Graph.Initializer.Single(i => i.Name == node.Input[1]);
        Assert.AreEqual((int)TensorProto.Types.DataType.Int8, weight.DataType);
        CollectionAssert.AreEqual(new long[] { Inner, Columns }, weight.Dims.ToArray());
    }

    [TestMethod]
    public void Run_PerChannelInt8_ScaleIsColumnMaxOver127AndZeroPointZero()
    {
        var model = MatMulAdd(W, Bias);

        new DynamicInt8QuantizationPass(new DynamicInt8Options { WeightType = QuantizedWeightType.Int8 }).Run(model);

        var node = model.Graph.Node.Single();
        Assert.IsTrue(TensorData.TryReadFloat(model.Graph.Initializer.Single(i => i.Name == node.Input[2]), out var scales));
        var zeroPoint = model.Graph.Initializer.Single(i => i.Name == node.Input[3]);
        Assert.HasCount(Columns, scales);
        for (var n = 0; n < Columns; n++)
        {
            var max = Enumerable.Range(0, Inner).Max(k => Math.Abs(W[(k * Columns) + n]));
            Assert.AreEqual(max / 127f, scales[n], 1e-7f, $"column {n}");
        }

        Assert.IsTrue(zeroPoint.RawData.ToByteArray().All(b => b == 0));
        Assert.AreEqual(Columns, zeroPoint.RawData.Length);
    }

    [TestMethod]
    public void Run_MatMulOutputAlsoAGraphOutput_KeepsTheAdd()
    {
        var model = MatMulAdd(W, Bias, alsoOutputProduct: true);

        Assert.IsTrue(new DynamicInt8QuantizationPass().Run(model));

        CollectionAssert.AreEqual(new[] { "DynamicQuantizeMatMul", "Add" }, model.Graph.Node.Select(n => n.OpType).ToArray());
        Assert.HasCount(4, model.Graph.Node[0].Input);
        Assert.IsTrue(model.Graph.Initializer.Any(i => i.Name == "bias"), "the bias the Add still reads must stay");
    }

    [TestMethod]
    public void Run_GemmTransBAlphaBeta_ReplacedAndWithinQuantizationError()
    {
        var transposed = new float[W.Length];
        for (var k = 0; k < Inner; k++)
        {
            for (var n = 0; n < Columns; n++)
            {
                transposed[(n * Inner) + k] = W[(k * Columns) + n];
            }
        }

        var model = GemmTransB(transposed, Bias, alpha: 0.5f, beta: 2f);
        var expected = SmallGraphs.Run(model, X);
        var pass = new DynamicInt8QuantizationPass();

        Assert.IsTrue(pass.Run(model));
        var actual = SmallGraphs.Run(model, X);

        Assert.AreEqual(1, pass.LastSummary!.QuantizedGemms);
        Assert.AreEqual("DynamicQuantizeMatMul", model.Graph.Node.Single().OpType);
        var bound = ErrorBound(X, [.. W.Select(w => w * 0.5f)], perChannel: true, reduceRange: false);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.IsLessThanOrEqualTo(bound[i], Math.Abs(actual[i] - expected[i]), $"element {i}");
        }
    }

    [TestMethod]
    public void Run_ExcludedNodeName_StaysMatMul()
    {
        var model = MatMulAdd(W, Bias);
        var pass = new DynamicInt8QuantizationPass(new DynamicInt8Options { ExcludedNodeNames = ["matmul"] });

        Assert.IsFalse(pass.Run(model));

        CollectionAssert.AreEqual(new[] { "MatMul", "Add" }, model.Graph.Node.Select(n => n.OpType).ToArray());
        Assert.AreEqual("matmul: node excluded", pass.LastSummary!.Skipped.Single());
        Assert.IsFalse(model.OpsetImport.Any(o => o.Domain == "com.microsoft"));
    }

    [TestMethod]
    public void Run_ExcludedOpType_LeavesGemmAlone()
    {
        var model = GemmTransB(W, Bias, 1f, 1f);

        Assert.IsFalse(new DynamicInt8QuantizationPass(new DynamicInt8Options { ExcludedOpTypes = ["Gemm"] }).Run(model));

        Assert.AreEqual("Gemm", model.Graph.Node.Single().OpType);
    }

    [TestMethod]
    public void Run_WeightSmallerThanMinimum_StaysMatMul()
    {
        var model = MatMulAdd(W, Bias);

        Assert.IsFalse(new DynamicInt8QuantizationPass(new DynamicInt8Options { MinimumWeightElements = (Inner * Columns) + 1 }).Run(model));

        Assert.AreEqual("MatMul", model.Graph.Node[0].OpType);
    }

    [TestMethod]
    public void QuantizeDynamicInt8_Bytes_RoundTripsAQuantizedModel()
    {
        var bytes = OnnxModelIO.ToBytes(MatMulAdd(W, Bias));

        var quantized = ModelQuantizer.QuantizeDynamicInt8(bytes, null, out var summary);

        Assert.AreEqual(1, summary.QuantizedMatMuls);
        Assert.IsLessThan(bytes.Length, quantized.Length, "int8 weights should make the file smaller");
        Assert.AreEqual("DynamicQuantizeMatMul", OnnxModelIO.Parse(quantized).Graph.Node.Single().OpType);
    }
}
