using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Runtime;
using MLNetInference.Optimizers.Quantization;
using MLNetInference.Optimizers.Quantization.Static;
using MLNetInference.Optimizers.Recipes;

namespace MLNetInference.Optimizers.Tests.Quantization.Static;

[TestClass]
public sealed class StaticInt8QuantizationPassTests
{
    /// <summary>7-bit weights where this CPU's u8×s8 kernels saturate (no VNNI), so the error bounds below hold on any CPU.</summary>
    private static readonly StaticInt8Options ExactOnThisCpu = new() { ReduceRange = CpuInt8Kernels.SaturatesFullRangeInt8Weights };

    [TestMethod]
    public void Run_SmallCnn_PutsQdqOnEveryActivationBetweenQuantizedNodes()
    {
        var model = StaticSmallCnn.Build();
        var pass = new StaticInt8QuantizationPass(StaticSmallCnn.Inputs(8, seed: 1));

        Assert.IsTrue(pass.Run(model));

        var summary = pass.LastSummary!;
        Assert.AreEqual(2, summary.QuantizedConvs);
        Assert.AreEqual(1, summary.QuantizedGemms);
        Assert.AreEqual(4, summary.QuantizedConnectingNodes, "MaxPool, Add, GlobalAveragePool and Flatten");
        Assert.AreEqual(3, summary.QuantizedBiases);
        Assert.AreEqual(8, summary.CalibrationSamples);
        Assert.IsFalse(summary.CalibratedOnGeneratedInputs);

        // X, r1_out, pool_out, c2_out, r2_out, gap_out, flat: one pair each; 3 weights and 3 biases dequantized.
        var ops = model.Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        Assert.AreEqual(7, ops["QuantizeLinear"]);
        Assert.AreEqual(7 + 3 + 3, ops["DequantizeLinear"]);
        Assert.AreEqual(7, summary.QuantizedActivations);

        var byName = model.Graph.Node.ToDictionary(n => n.Name);
        var producers = model.Graph.Node.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n);
        foreach (var name in new[] { "c1", "c2", "g" })
        {
            var node = byName[name];
            Assert.AreEqual("DequantizeLinear", producers[node.Input[0]].OpType, $"{name}'s input is dequantized");
            var weightDq = producers[node.Input[1]];
            Assert.AreEqual("DequantizeLinear", weightDq.OpType);
            Assert.AreEqual((int)TensorProto.Types.DataType.Int8, Initializer(model, weightDq.Input[0]).DataType);
            Assert.AreEqual(0, weightDq.Attribute.Single(a => a.Name == "axis").I, "per output channel: axis 0 of Conv [M, C, kh, kw] and of Gemm B with transB=1 [N, K]");
            var biasDq = producers[node.Input[2]];
            Assert.AreEqual((int)TensorProto.Types.DataType.Int32, Initializer(model, biasDq.Input[0]).DataType);
        }

        // The residual Add reads both dequantized inputs; the MaxPool output shares the Relu's scale.
        Assert.IsTrue(byName["residual"].Input.All(i => producers[i].OpType == "DequantizeLinear"));
        Assert.AreEqual(summary.Ranges["r1_out"].Max, Scale(model, "pool_out") * 255f, 1e-4f);
        Assert.IsFalse(model.Graph.Initializer.Any(i => i.Name is "W1" or "W2" or "W3" or "B1" or "B2" or "C3"), "the fp32 weights are gone");
    }

    [TestMethod]
    public void Run_SmallCnn_StaysCloseToFp32AndOnnxRuntimeFusesItIntoQLinearKernels()
    {
        var original = StaticSmallCnn.Build();
        var model = original.Clone();
        new StaticInt8QuantizationPass(StaticSmallCnn.Inputs(16, seed: 1), ExactOnThisCpu).Run(model);
        var bytes = OnnxModelIO.ToBytes(model);

        using var fp32 = new InferenceSession(OnnxModelIO.ToBytes(original));
        using var int8 = new InferenceSession(bytes);
        foreach (var sample in StaticSmallCnn.Inputs(8, seed: 500))
        {
            var expected = StaticSmallCnn.Run(fp32, sample);
            var actual = StaticSmallCnn.Run(int8, sample);
            var spread = expected.Max() - expected.Min();
            var maxDiff = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            Assert.IsGreaterThan(0.995, StaticSmallCnn.Cosine(expected, actual));
            Assert.IsLessThan(0.05 * spread, maxDiff, $"max abs diff {maxDiff} against an output spread of {spread}");
        }

        var ops = StaticSmallCnn.OrtOptimizedOpCounts(bytes);
        Assert.AreEqual(2, ops.GetValueOrDefault("QLinearConv"), string.Join(", ", ops));
        Assert.AreEqual(1, ops.GetValueOrDefault("QLinearAdd"), string.Join(", ", ops));
        Assert.AreEqual(0, ops.GetValueOrDefault("Conv"), string.Join(", ", ops));
    }

    [TestMethod]
    public void Run_2DMatMulWithBiasAdd_BecomesAQuantizedGemmThatOnnxRuntimeRunsAsQGemm()
    {
        var original = SmallGraphs.MatMulAdd(SmallGraphs.Random(SmallGraphs.Inner * SmallGraphs.Columns, seed: 1), SmallGraphs.Random(SmallGraphs.Columns, seed: 2));
        var model = original.Clone();
        var samples = Enumerable.Range(0, 4)
            .Select(i => (IReadOnlyDictionary<string, SampleTensor>)new Dictionary<string, SampleTensor>
            {
                ["X"] = new(SmallGraphs.Random(SmallGraphs.Rows * SmallGraphs.Inner, seed: 10 + i), [SmallGraphs.Rows, SmallGraphs.Inner]),
            })
            .ToList();
        var pass = new StaticInt8QuantizationPass(samples, ExactOnThisCpu);

        Assert.IsTrue(pass.Run(model));

        Assert.AreEqual(1, pass.LastSummary!.QuantizedMatMuls);
        Assert.AreEqual(1, model.Graph.Node.Count(n => n.OpType == "QuantizeLinear"), "only X: the output stays float");
        Assert.AreEqual(0, model.Graph.Node.Count(n => n.OpType is "Add" or "MatMul"), "the bias Add is folded into a Gemm");
        Assert.AreEqual(1, pass.LastSummary.QuantizedBiases);
        var x = SmallGraphs.Random(SmallGraphs.Rows * SmallGraphs.Inner, seed: 99);
        var expected = SmallGraphs.Run(original, x);
        var actual = SmallGraphs.Run(model, x);
        Assert.IsGreaterThan(0.999, StaticSmallCnn.Cosine(expected, actual));
        var ops = StaticSmallCnn.OrtOptimizedOpCounts(OnnxModelIO.ToBytes(model));
        Assert.AreEqual(1, ops.GetValueOrDefault("QGemm"), string.Join(", ", ops));
        Assert.AreEqual(0, ops.GetValueOrDefault("Gemm") + ops.GetValueOrDefault("MatMul"), string.Join(", ", ops));
    }

    [TestMethod]
    public void Run_ExcludedNodeAndOpType_StayFloat()
    {
        var model = StaticSmallCnn.Build();
        var pass = new StaticInt8QuantizationPass(
            StaticSmallCnn.Inputs(4, seed: 1),
            new StaticInt8Options { ExcludedNodeNames = ["c2"], ExcludedOpTypes = ["Gemm"] });

        pass.Run(model);

        var byName = model.Graph.Node.Where(n => n.Name.Length > 0).ToDictionary(n => n.Name);
        Assert.AreEqual("W2", byName["c2"].Input[1]);
        Assert.AreEqual("W3", byName["g"].Input[1]);
        Assert.AreEqual(1, pass.LastSummary!.QuantizedConvs);
        Assert.AreEqual(0, pass.LastSummary.QuantizedGemms);
        Assert.IsTrue(pass.LastSummary.Skipped.Any(s => s.StartsWith("c2: node excluded", StringComparison.Ordinal)), string.Join("; ", pass.LastSummary.Skipped));
    }

    [TestMethod]
    public void Run_Twice_LeavesTheQuantizedModelAlone()
    {
        var model = StaticSmallCnn.Build();
        var pass = new StaticInt8QuantizationPass(StaticSmallCnn.Inputs(2, seed: 1));
        Assert.IsTrue(pass.Run(model));
        var once = model.Clone();

        Assert.IsFalse(pass.Run(model));
        Assert.AreEqual(once, model);
    }

    [TestMethod]
    public void Run_Opset8Model_IsRaisedTo13ForPerChannelWeights()
    {
        var model = StaticSmallCnn.Build(opset: 8);
        var pass = new StaticInt8QuantizationPass(StaticSmallCnn.Inputs(2, seed: 1));

        pass.Run(model);

        Assert.AreEqual(8, pass.LastSummary!.RaisedOpsetFrom);
        Assert.AreEqual(13, model.OpsetImport.Single(o => o.Domain.Length == 0).Version);
        using var session = new InferenceSession(OnnxModelIO.ToBytes(model));
        Assert.AreEqual(10, StaticSmallCnn.Run(session, StaticSmallCnn.Inputs(1, seed: 9)[0]).Length);
    }

    [TestMethod]
    public void Run_WithoutCalibrationData_CalibratesOnGeneratedInputsAndWarns()
    {
        var model = StaticSmallCnn.Build();
        var pass = new StaticInt8QuantizationPass();

        Assert.IsTrue(pass.Run(model));

        Assert.IsTrue(pass.LastSummary!.CalibratedOnGeneratedInputs);
        Assert.AreEqual(8, pass.LastSummary.CalibrationSamples);
        Assert.IsTrue(pass.LastSummary.Warnings.Any(w => w.Contains("generated", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void Run_CalibrationSampleMissingAnInput_FailsNamingThePass()
    {
        var model = StaticSmallCnn.Build();
        var pass = new StaticInt8QuantizationPass([new Dictionary<string, SampleTensor>()]);

        var error = Assert.ThrowsExactly<PassFailedException>(() => pass.Run(model));

        StringAssert.Contains(error.Message, "static-int8");
        StringAssert.Contains(error.Message, "'X'");
    }

    [TestMethod]
    public void Optimize_Int8StaticRecipe_UsesTheCallersDataOrWarns()
    {
        var bytes = OnnxModelIO.ToBytes(StaticSmallCnn.Build());
        var recipe = OptimizationRecipe.Parse("int8-static");

        var calibrated = ModelOptimizer.Optimize(bytes, recipe, null, new CalibrationData(StaticSmallCnn.Inputs(4, seed: 1), new StaticInt8Options { Method = CalibrationMethod.Percentile }));
        var generated = ModelOptimizer.Optimize(bytes, recipe);

        Assert.IsEmpty(calibrated.Warnings);
        Assert.HasCount(1, generated.Warnings);
        StringAssert.Contains(generated.Warnings[0], "no calibration data");
        foreach (var result in new[] { calibrated, generated })
        {
            Assert.AreEqual(7, OnnxModelIO.Parse(result.Model).Graph.Node.Count(n => n.OpType == "QuantizeLinear"));
            Assert.IsGreaterThan(0.99, result.Verification.Outputs.Single().MeanCosine);
        }
    }

    private static TensorProto Initializer(ModelProto model, string name) => model.Graph.Initializer.Single(i => i.Name == name);

    private static float Scale(ModelProto model, string tensor)
    {
        var q = model.Graph.Node.Single(n => n.OpType == "QuantizeLinear" && n.Input[0] == tensor);
        return TensorData.TryReadFloat(Initializer(model, q.Input[1]), out var values) ? values[0] : float.NaN;
    }
}
