using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Tests.Verification;

[TestClass]
public sealed class AccuracyAccumulatorTests
{
    [TestMethod]
    public void Add_NothingYet_ReadsFullAgreement()
    {
        var accumulator = new AccuracyAccumulator();

        Assert.AreEqual(0, accumulator.Rows);
        Assert.AreEqual(1.0, accumulator.MeanCosine);
        Assert.AreEqual(1.0, accumulator.MinCosine);
        Assert.AreEqual(1.0, accumulator.Top1Agreement);
        Assert.AreEqual(0.0, accumulator.MaxAbsDiff);
    }

    [TestMethod]
    public void Add_TwoRowsOneFlipped_MeanMinAndTop1PerRow()
    {
        var accumulator = new AccuracyAccumulator();

        // Row 0 identical; row 1 swaps its two values, so its top-1 moves and its cosine is 2·1·3 / (1 + 9) = 0.6.
        accumulator.Add(new float[] { 1, 2, 1, 3 }, new float[] { 1, 2, 3, 1 }, [2, 2]);

        Assert.AreEqual(2, accumulator.Rows);
        Assert.AreEqual(0.8, accumulator.MeanCosine, 1e-12);
        Assert.AreEqual(0.6, accumulator.MinCosine, 1e-12);
        Assert.AreEqual(0.5, accumulator.Top1Agreement, 1e-12);
        Assert.AreEqual(2.0, accumulator.MaxAbsDiff, 1e-12);
    }

    [TestMethod]
    public void Add_SeveralOutputs_AccumulatesOverAll()
    {
        var accumulator = new AccuracyAccumulator();

        accumulator.Add(new double[] { 1, 0 }, new double[] { 1, 0 }, [1, 2]);
        accumulator.Add(new double[] { 1, 0, 0 }, new double[] { 0, 1, 0 }, [1, 3]);

        Assert.AreEqual(2, accumulator.Rows);
        Assert.AreEqual(0.5, accumulator.MeanCosine, 1e-12);
        Assert.AreEqual(0.0, accumulator.MinCosine, 1e-12);
        Assert.AreEqual(0.5, accumulator.Top1Agreement, 1e-12);
        Assert.AreEqual(1.0, accumulator.MaxAbsDiff, 1e-12);
    }

    [TestMethod]
    public void Add_PooledTokens_ComparesOneEmbeddingPerSampleRow()
    {
        // One sample row of two tokens: each token is orthogonal to its counterpart, but the sums agree exactly.
        float[] expected = [1, 0, 0, 1];
        float[] actual = [0, 1, 1, 0];
        var pooled = new AccuracyAccumulator(AccuracyRowLayout.PooledTokens);
        var perToken = new AccuracyAccumulator(AccuracyRowLayout.LastAxis);

        pooled.Add(expected, actual, [1, 2, 2]);
        perToken.Add(expected, actual, [1, 2, 2]);

        Assert.AreEqual(1, pooled.Rows);
        Assert.AreEqual(1.0, pooled.MeanCosine, 1e-12);
        Assert.AreEqual(2, perToken.Rows);
        Assert.AreEqual(0.0, perToken.MeanCosine, 1e-12);
        Assert.AreEqual(1.0, pooled.MaxAbsDiff, 1e-12, "the largest difference is element by element, not pooled");
    }

    [TestMethod]
    public void Add_PooledTokensOnRankTwo_CutsRowsLikeLastAxis()
    {
        float[] expected = [1, 2, 3, 4, 5, 6];
        float[] actual = [1, 2, 3, 6, 5, 4];
        var pooled = new AccuracyAccumulator(AccuracyRowLayout.PooledTokens);
        var lastAxis = new AccuracyAccumulator(AccuracyRowLayout.LastAxis);

        pooled.Add(expected, actual, [2, 3]);
        lastAxis.Add(expected, actual, [2, 3]);

        Assert.AreEqual(lastAxis.Rows, pooled.Rows);
        Assert.AreEqual(lastAxis.MeanCosine, pooled.MeanCosine);
        Assert.AreEqual(lastAxis.Top1Agreement, pooled.Top1Agreement);
    }

    [TestMethod]
    public void Add_PooledTokensRandomStates_EqualsSumInFloatThenCosine()
    {
        // The tuner's measure before the module existed: sum the token states in float, then the cosine in double.
        const int batch = 3, tokens = 5, width = 16;
        var random = new Random(7);
        var expected = new float[batch * tokens * width];
        var actual = new float[expected.Length];
        for (var i = 0; i < expected.Length; i++)
        {
            expected[i] = (float)((random.NextDouble() * 2) - 1);
            actual[i] = expected[i] + (float)((random.NextDouble() - 0.5) * 0.2);
        }

        var accumulator = new AccuracyAccumulator(AccuracyRowLayout.PooledTokens);
        accumulator.Add(expected, actual, [batch, tokens, width]);

        double sum = 0, min = 1;
        for (var b = 0; b < batch; b++)
        {
            var cosine = ReferenceCosine(SumTokens(expected, b, tokens, width), SumTokens(actual, b, tokens, width));
            sum += cosine;
            min = Math.Min(min, cosine);
        }

        Assert.AreEqual(batch, accumulator.Rows);
        Assert.AreEqual(sum / batch, accumulator.MeanCosine, 0.0);
        Assert.AreEqual(min, accumulator.MinCosine, 0.0);
        Assert.IsLessThan(1.0, accumulator.MinCosine, "the noise must show");
    }

    [TestMethod]
    public void Add_ShapeNotMatchingTheValues_ThrowsArgumentException()
    {
        var accumulator = new AccuracyAccumulator();

        var ex = Assert.ThrowsExactly<ArgumentException>(() => accumulator.Add(new float[6], new float[6], [2, 4]));

        StringAssert.Contains(ex.Message, "[2, 4]");
    }

    [TestMethod]
    public void Add_ValuesOfDifferentLengths_ThrowsArgumentException()
    {
        var accumulator = new AccuracyAccumulator();

        Assert.ThrowsExactly<ArgumentException>(() => accumulator.Add(new float[4], new float[3], [1, 4]));
    }

    [TestMethod]
    public void Constructor_UndefinedLayout_ThrowsArgumentOutOfRange()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new AccuracyAccumulator((AccuracyRowLayout)42));
    }

    private static float[] SumTokens(float[] values, int row, int tokens, int width)
    {
        var pooled = new float[width];
        for (var t = 0; t < tokens; t++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(pooled, values.AsSpan(((row * tokens) + t) * width, width), pooled);
        }

        return pooled;
    }

    private static double ReferenceCosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }
}
