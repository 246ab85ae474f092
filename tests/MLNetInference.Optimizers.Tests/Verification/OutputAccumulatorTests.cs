using MLNetInference.Optimizers.Verification.Internal;

namespace MLNetInference.Optimizers.Tests.Verification;

[TestClass]
public sealed class OutputAccumulatorTests
{
    [TestMethod]
    public void FeatureMapWithTrailingUnitAxesIsComparedAsOneRowOfFeatures()
    {
        // Shaped like ResNet18's pooled features, [N, C, 1, 1]: a row is the C features, not one value each.
        var accumulator = new OutputAccumulator("features");
        accumulator.Add(new OutputValues([2, 3, 1, 1], [1, 0, 0, 0, 1, 0], null), new OutputValues([2, 3, 1, 1], [0, 1, 0, 0, 1, 0], null));

        var comparison = accumulator.ToComparison();

        Assert.AreEqual(0.5, comparison.MeanCosine, 1e-12, "row 0 is orthogonal (cosine 0), row 1 identical (cosine 1)");
        Assert.AreEqual(0.0, comparison.MinCosine, 1e-12);
        Assert.AreEqual(0.5, comparison.Top1Agreement, 1e-12);
    }

    [TestMethod]
    public void SingleValuePerRowIsNotMergedAcrossTheBatch()
    {
        // [N, 1]: one score per row; the batch axis is never folded into a row.
        var accumulator = new OutputAccumulator("score");
        accumulator.Add(new OutputValues([2, 1], [1, 2], null), new OutputValues([2, 1], [1, -2], null));

        var comparison = accumulator.ToComparison();

        Assert.AreEqual(-1.0, comparison.MinCosine, 1e-12);
        Assert.AreEqual(0.0, comparison.MeanCosine, 1e-12);
    }
}
