using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Optimizers.Quantization.Fp16;

namespace MLNetInference.Optimizers.Tests.Quantization.Fp16;

[TestClass]
public sealed class Fp16ConversionPassTests
{
    private const int Float16 = (int)TensorProto.Types.DataType.Float16;
    private const int Float = (int)TensorProto.Types.DataType.Float;

    [TestMethod]
    public void Convert_SmallMatMulAdd_StaysWithinFp16RoundingAndKeepsFloatInputsAndOutputs()
    {
        var weights = SmallGraphs.Random(SmallGraphs.Inner * SmallGraphs.Columns, seed: 1);
        var bias = SmallGraphs.Random(SmallGraphs.Columns, seed: 2);
        var x = SmallGraphs.Random(SmallGraphs.Rows * SmallGraphs.Inner, seed: 3);
        var model = SmallGraphs.MatMulAdd(weights, bias);
        var expected = SmallGraphs.Run(model, x);
        var pass = new Fp16ConversionPass();

        Assert.IsTrue(pass.Run(model));

        var actual = SmallGraphs.Run(model, x);
        for (var m = 0; m < SmallGraphs.Rows; m++)
        {
            for (var n = 0; n < SmallGraphs.Columns; n++)
            {
                // fp16 keeps 11 significant bits: each stored value is off by at most 2^-11 of itself.
                var bound = Math.Abs(bias[n]) * 4.9e-4f;
                for (var k = 0; k < SmallGraphs.Inner; k++)
                {
                    bound += Math.Abs(x[(m * SmallGraphs.Inner) + k] * weights[(k * SmallGraphs.Columns) + n]) * 4.9e-4f;
                }

                var i = (m * SmallGraphs.Columns) + n;
                Assert.IsLessThanOrEqualTo((bound * 1.01f) + 1e-5f, Math.Abs(actual[i] - expected[i]), $"element {i}");
            }
        }

        Assert.AreNotEqual(0f, expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max(), "fp16 weights give fp32's output exactly; were they converted?");
        Assert.AreEqual(2, pass.LastSummary!.ConvertedInitializers);
        Assert.IsTrue(model.Graph.Initializer.All(t => t.DataType == Float16));
        Assert.AreEqual(2, model.Graph.Node.Count(n => n.OpType == "Cast"));
        Assert.AreEqual(Float, model.Graph.Input.Single().Type.TensorType.ElemType);
        Assert.AreEqual(Float, model.Graph.Output.Single().Type.TensorType.ElemType);
    }

    [TestMethod]
    public void Convert_BlockedOpType_ItsInitializerStaysFp32()
    {
        var model = SmallGraphs.MatMulAdd(SmallGraphs.Random(SmallGraphs.Inner * SmallGraphs.Columns, seed: 4), SmallGraphs.Random(SmallGraphs.Columns, seed: 5));

        Assert.IsTrue(new Fp16ConversionPass(new Fp16Options { BlockedOpTypes = ["MatMul"] }).Run(model));

        Assert.AreEqual(Float, model.Graph.Initializer.Single(t => t.Name == "W").DataType);
        Assert.AreEqual(Float16, model.Graph.Initializer.Single(t => t.Name.StartsWith("bias", StringComparison.Ordinal)).DataType);
        Assert.HasCount(SmallGraphs.Rows * SmallGraphs.Columns, SmallGraphs.Run(model, SmallGraphs.Random(SmallGraphs.Rows * SmallGraphs.Inner, seed: 6)));
    }

    [TestMethod]
    public void Convert_ExcludedNode_ItsInitializerStaysFp32()
    {
        var model = SmallGraphs.MatMulAdd(SmallGraphs.Random(SmallGraphs.Inner * SmallGraphs.Columns, seed: 7), SmallGraphs.Random(SmallGraphs.Columns, seed: 8));
        var pass = new Fp16ConversionPass(new Fp16Options { ExcludedNodeNames = ["add"] });

        Assert.IsTrue(pass.Run(model));

        Assert.AreEqual(Float, model.Graph.Initializer.Single(t => t.Name == "bias").DataType);
        Assert.AreEqual(Float16, model.Graph.Initializer.Single(t => t.Name.StartsWith('W')).DataType);
        Assert.AreEqual(1, pass.LastSummary!.Kept.Count);
    }

    [TestMethod]
    public void Convert_InitializerSmallerThanTheMinimum_StaysFp32()
    {
        var model = SmallGraphs.MatMulAdd(SmallGraphs.Random(SmallGraphs.Inner * SmallGraphs.Columns, seed: 9), SmallGraphs.Random(SmallGraphs.Columns, seed: 10));

        Assert.IsTrue(new Fp16ConversionPass(new Fp16Options { MinimumElements = SmallGraphs.Columns + 1 }).Run(model));

        Assert.AreEqual(Float, model.Graph.Initializer.Single(t => t.Name == "bias").DataType);
    }

    [TestMethod]
    public void Convert_ValueBeyondFp16Range_IsClampedTo65504()
    {
        var weights = SmallGraphs.Random(SmallGraphs.Inner * SmallGraphs.Columns, seed: 11);
        weights[0] = 1e6f;
        var model = SmallGraphs.MatMulAdd(weights, SmallGraphs.Random(SmallGraphs.Columns, seed: 12));
        var pass = new Fp16ConversionPass();

        Assert.IsTrue(pass.Run(model));

        Assert.AreEqual(1, pass.LastSummary!.ClampedValues);
        var raw = model.Graph.Initializer.Single(t => t.Name.StartsWith('W')).RawData.Span;
        Assert.AreEqual((Half)65504f, System.Buffers.Binary.BinaryPrimitives.ReadHalfLittleEndian(raw[..2]));
    }

    [TestMethod]
    public void Constructor_NegativeMinimum_Throws() =>
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Fp16ConversionPass(new Fp16Options { MinimumElements = -1 }));
}
