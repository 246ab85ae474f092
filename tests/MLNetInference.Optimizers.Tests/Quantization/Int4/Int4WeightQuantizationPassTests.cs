using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Optimizers.Quantization.Int4;

namespace MLNetInference.Optimizers.Tests.Quantization.Int4;

[TestClass]
public sealed class Int4WeightQuantizationPassTests
{
    private const int N = 8;

    [TestMethod]
    [DataRow(64, 32, true)]
    [DataRow(64, 32, false)]
    [DataRow(64, 16, true)]
    [DataRow(48, 32, true)]
    [DataRow(48, 32, false)]
    public void Quantize_SmallMatMul_StaysWithinTheInt4BoundAndDiffersFromFp32(int k, int blockSize, bool symmetric)
    {
        var weights = SmallGraphs.Random(k * N, seed: 1);
        var x = SmallGraphs.Random(Int4Graphs.Rows * k, seed: 2);
        var model = Int4Graphs.MatMul(weights, k, N);
        var expected = Int4Graphs.Run(model, x, k);
        var pass = new Int4WeightQuantizationPass(new Int4Options { BlockSize = blockSize, Symmetric = symmetric });

        Assert.IsTrue(pass.Run(model));

        var actual = Int4Graphs.Run(model, x, k);
        var bound = Int4Graphs.ErrorBound(x, weights, k, N, blockSize, symmetric);
        var maxDiff = 0f;
        for (var i = 0; i < expected.Length; i++)
        {
            var diff = Math.Abs(actual[i] - expected[i]);
            maxDiff = Math.Max(maxDiff, diff);
            Assert.IsLessThanOrEqualTo(bound[i], diff, $"element {i}: int4 {actual[i]}, fp32 {expected[i]}");
        }

        Assert.IsGreaterThan(1e-3f, maxDiff, "the int4 model gives fp32's output exactly; was it quantized?");
    }

    [TestMethod]
    public void Quantize_SmallMatMul_WritesMatMulNBitsWithTheSpecLayout()
    {
        const int k = 48;
        var model = Int4Graphs.MatMul(SmallGraphs.Random(k * N, seed: 3), k, N);

        Assert.IsTrue(new Int4WeightQuantizationPass(new Int4Options { Symmetric = false }).Run(model));

        var node = model.Graph.Node.Single();
        Assert.AreEqual("MatMulNBits", node.OpType);
        Assert.AreEqual("com.microsoft", node.Domain);
        Assert.AreEqual(4, node.Input.Count, "A, B, scales, zero_points");
        Assert.AreEqual(k, node.Attribute.Single(a => a.Name == "K").I);
        Assert.AreEqual(N, node.Attribute.Single(a => a.Name == "N").I);
        Assert.AreEqual(4, node.Attribute.Single(a => a.Name == "bits").I);
        Assert.AreEqual(32, node.Attribute.Single(a => a.Name == "block_size").I);
        var packed = model.Graph.Initializer.Single(i => i.Name == node.Input[1]);
        CollectionAssert.AreEqual(new long[] { N, 2, 16 }, packed.Dims.ToArray(), "[N, ceil(48/32), 32/2]");
        Assert.AreEqual((int)TensorProto.Types.DataType.Uint8, packed.DataType);
        CollectionAssert.AreEqual(new long[] { N * 2 }, model.Graph.Initializer.Single(i => i.Name == node.Input[2]).Dims.ToArray());
        CollectionAssert.AreEqual(new long[] { N }, model.Graph.Initializer.Single(i => i.Name == node.Input[3]).Dims.ToArray(), "two 4-bit zero points per byte");
        Assert.IsFalse(model.Graph.Initializer.Any(i => i.Name == "W"), "the fp32 weight is removed");
        Assert.IsTrue(model.OpsetImport.Any(o => o.Domain == "com.microsoft"));
    }

    [TestMethod]
    public void Quantize_Symmetric_OmitsZeroPoints()
    {
        var model = Int4Graphs.MatMul(SmallGraphs.Random(64 * N, seed: 4), 64, N);

        Assert.IsTrue(new Int4WeightQuantizationPass().Run(model));

        Assert.AreEqual(3, model.Graph.Node.Single().Input.Count, "A, B, scales; the implicit zero point is 8");
    }

    [TestMethod]
    [DataRow(8)]
    [DataRow(24)]
    [DataRow(0)]
    public void Constructor_BlockSizeNotAPowerOfTwoAtLeast16_Throws(int blockSize) =>
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Int4WeightQuantizationPass(new Int4Options { BlockSize = blockSize }));

    [TestMethod]
    public void Quantize_ExcludedNode_StaysMatMul()
    {
        var model = Int4Graphs.MatMul(SmallGraphs.Random(64 * N, seed: 5), 64, N);
        var pass = new Int4WeightQuantizationPass(new Int4Options { ExcludedNodeNames = ["matmul"] });

        Assert.IsFalse(pass.Run(model));

        Assert.AreEqual("MatMul", model.Graph.Node.Single().OpType);
        Assert.AreEqual(1, pass.LastSummary!.Skipped.Count);
    }

    [TestMethod]
    public void Quantize_ExcludedOpType_StaysMatMul()
    {
        var model = Int4Graphs.MatMul(SmallGraphs.Random(64 * N, seed: 6), 64, N);

        Assert.IsFalse(new Int4WeightQuantizationPass(new Int4Options { ExcludedOpTypes = ["MatMul"] }).Run(model));

        Assert.AreEqual("MatMul", model.Graph.Node.Single().OpType);
    }

    [TestMethod]
    public void Quantize_WeightSmallerThanTheMinimum_StaysMatMul()
    {
        var model = Int4Graphs.MatMul(SmallGraphs.Random(64 * N, seed: 7), 64, N);

        Assert.IsFalse(new Int4WeightQuantizationPass(new Int4Options { MinimumWeightElements = (64 * N) + 1 }).Run(model));

        Assert.AreEqual("MatMul", model.Graph.Node.Single().OpType);
        Assert.IsTrue(model.Graph.Initializer.Any(i => i.Name == "W"));
    }
}
