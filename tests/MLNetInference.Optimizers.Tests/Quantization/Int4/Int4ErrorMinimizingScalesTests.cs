using MLNetInference.Optimizers.Quantization.Int4;

namespace MLNetInference.Optimizers.Tests.Quantization.Int4;

[TestClass]
public sealed class Int4ErrorMinimizingScalesTests
{
    private const int K = 256;
    private const int N = 64;
    private const int BlockSize = 16;

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void Quantize_WithScaleSearch_ReconstructsWeightsBetterThanMinMax(bool symmetric)
    {
        // Roughly normal weights, as trained layers have: min/max scales spend levels on the block's extremes.
        var random = new Random(7);
        var weights = Enumerable.Range(0, K * N).Select(_ => (float)(random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5)).ToArray();

        var minMax = SquaredError(weights, Int4BlockQuantizer.Dequantize(Int4BlockQuantizer.Quantize(weights, K, N, BlockSize, symmetric), K, N, BlockSize));
        var searched = SquaredError(weights, Int4BlockQuantizer.Dequantize(Int4BlockQuantizer.Quantize(weights, K, N, BlockSize, symmetric, searchScales: true), K, N, BlockSize));

        Assert.IsLessThan(minMax * 0.95, searched, $"searched {searched}, min/max {minMax}");
        Assert.IsGreaterThan(0, searched);
    }

    [TestMethod]
    public void Quantize_WithScaleSearch_RunsInOnnxRuntimeCloseToFp32()
    {
        const int k = 64;
        var weights = SmallGraphs.Random(k * N, seed: 1);
        var x = SmallGraphs.Random(Int4Graphs.Rows * k, seed: 2);
        var model = Int4Graphs.MatMul(weights, k, N);
        var expected = Int4Graphs.Run(model, x, k);

        Assert.IsTrue(new Int4WeightQuantizationPass(new Int4Options { BlockSize = BlockSize, Symmetric = false, ErrorMinimizingScales = true }).Run(model));

        var actual = Int4Graphs.Run(model, x, k);
        var cosine = System.Numerics.Tensors.TensorPrimitives.CosineSimilarity<float>(expected, actual);
        Assert.IsGreaterThan(0.99f, cosine);
        Assert.IsLessThan(1f, cosine, "the int4 model gives fp32's output exactly; was it quantized?");
    }

    private static double SquaredError(float[] expected, float[] actual) => expected.Zip(actual, (a, b) => (double)(a - b) * (a - b)).Sum();
}
