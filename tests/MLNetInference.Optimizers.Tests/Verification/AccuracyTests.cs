using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Tests.Verification;

[TestClass]
public sealed class AccuracyTests
{
    [TestMethod]
    [DataRow(new float[] { 1, 2, 3 }, new float[] { 2, 4, 6 }, 1.0, DisplayName = "same direction")]
    [DataRow(new float[] { 1, 0 }, new float[] { 0, 1 }, 0.0, DisplayName = "orthogonal")]
    [DataRow(new float[] { 1, -2 }, new float[] { -1, 2 }, -1.0, DisplayName = "opposite")]
    [DataRow(new float[] { 0, 0 }, new float[] { 0, 0 }, 1.0, DisplayName = "both zero")]
    [DataRow(new float[] { 0, 0 }, new float[] { 1, 0 }, 0.0, DisplayName = "one zero")]
    [DataRow(new float[] { 1, float.NaN }, new float[] { 1, 1 }, 0.0, DisplayName = "NaN")]
    [DataRow(new float[] { 3, 4 }, new float[] { 4, 3 }, 0.96, DisplayName = "24 / 25")]
    public void Cosine_Vectors_ReturnsTheCosine(float[] expected, float[] actual, double cosine)
    {
        Assert.AreEqual(cosine, Accuracy.Cosine(expected, actual), 1e-12);
        Assert.AreEqual(cosine, Accuracy.Cosine(Widen(expected), Widen(actual)), 1e-12, "float and double agree");
    }

    [TestMethod]
    public void Cosine_IdenticalVectors_NeverAboveOne()
    {
        var values = new double[] { 0.1, 0.2, 0.3, 1e-9, 7.7 };

        var cosine = Accuracy.Cosine(values, values);

        Assert.IsLessThanOrEqualTo(1.0, cosine);
        Assert.AreEqual(1.0, cosine, 1e-15);
    }

    [TestMethod]
    public void Cosine_DifferentLengths_ThrowsArgumentException()
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(() => Accuracy.Cosine(new float[3], new float[2]));

        StringAssert.Contains(ex.Message, "3");
    }

    [TestMethod]
    [DataRow(new float[] { 1, 5, 5, 2 }, 1, DisplayName = "first of a tie")]
    [DataRow(new float[] { -3, -1, -2 }, 1, DisplayName = "negative")]
    [DataRow(new float[] { float.NaN, 1, 2 }, 0, DisplayName = "NaN first is never beaten")]
    [DataRow(new float[] { 1, float.NaN, 2 }, 2, DisplayName = "NaN never wins")]
    [DataRow(new float[0], 0, DisplayName = "empty")]
    public void ArgMax_Values_ReturnsTheIndex(float[] values, int index)
    {
        Assert.AreEqual(index, Accuracy.ArgMax(values));
        Assert.AreEqual(index, Accuracy.ArgMax(Widen(values)));
    }

    [TestMethod]
    public void MaxAbsDiff_FiniteValues_ReturnsTheLargest()
    {
        Assert.AreEqual(2.5, Accuracy.MaxAbsDiff(new float[] { 1, 2, 3 }, new float[] { 1.5f, -0.5f, 3 }), 1e-12);
    }

    [TestMethod]
    public void MaxAbsDiff_SameNaNAndInfinity_CountAsEqual()
    {
        Assert.AreEqual(0.0, Accuracy.MaxAbsDiff(new[] { double.NaN, double.PositiveInfinity }, new[] { double.NaN, double.PositiveInfinity }));
    }

    [TestMethod]
    public void MaxAbsDiff_NaNAgainstANumber_IsMaxValue()
    {
        Assert.AreEqual(double.MaxValue, Accuracy.MaxAbsDiff(new[] { 1.0, double.NaN }, new[] { 1.0, 2.0 }));
    }

    [TestMethod]
    [DataRow(new long[] { 2, 4 }, 4, DisplayName = "[N, C]")]
    [DataRow(new long[] { 2, 512, 1, 1 }, 512, DisplayName = "[N, C, 1, 1] feature map")]
    [DataRow(new long[] { 2, 1 }, 1, DisplayName = "[N, 1] one score a row")]
    [DataRow(new long[] { 3, 5, 7 }, 7, DisplayName = "[N, T, H]")]
    [DataRow(new long[] { 6 }, 6, DisplayName = "rank 1")]
    [DataRow(new long[0], 1, DisplayName = "scalar")]
    public void RowWidth_Shape_ReturnsTheRowLength(long[] shape, int width)
    {
        Assert.AreEqual(width, Accuracy.RowWidth(shape));
    }

    private static double[] Widen(float[] values) => [.. values.Select(v => (double)v)];
}
