using MLNetInference.Optimizers.Quantization.Static;

namespace MLNetInference.Optimizers.Tests.Quantization.Static;

[TestClass]
public sealed class StaticCalibrationTests
{
    [TestMethod]
    public void MinMax_KeepsTheObservedExtremesExactly()
    {
        var statistics = Observe([-0.75f, 0.5f, 2.25f, 0f], [1.5f, -3.125f]);

        var range = statistics.ToRange(new StaticInt8Options { Method = CalibrationMethod.MinMax });

        Assert.AreEqual(-3.125f, range.Min);
        Assert.AreEqual(2.25f, range.Max);
        Assert.AreEqual(-3.125f, range.ObservedMin);
        Assert.AreEqual(6, range.Count);
    }

    [TestMethod]
    public void Histogram_GrowingPastItsEnd_KeepsEveryCount()
    {
        var statistics = new ActivationStatistics("t", 256);
        statistics.Add([0.1f, 0.2f, -0.3f]);
        statistics.Add([5f, -40f, 0.05f, float.NaN]);

        Assert.AreEqual(6, statistics.Count, "the NaN is not counted");
        Assert.AreEqual(6, statistics.Bins.Sum());
        Assert.IsGreaterThanOrEqualTo(40.0, statistics.Upper);
        Assert.IsLessThan(80.0 + 1e-9, statistics.Upper, "the end only doubles as far as needed");
    }

    [TestMethod]
    public void Percentile_ClipsRareOutliersButKeepsTheBulk()
    {
        var values = Gaussian(200_000, seed: 1);
        values[17] = 1000f;
        values[99] = -800f;
        var statistics = Observe(values);

        var range = statistics.ToRange(new StaticInt8Options { Method = CalibrationMethod.Percentile, Percentile = 99.99 });

        Assert.AreEqual(1000f, range.ObservedMax);
        Assert.IsLessThan(10f, range.Max, $"the outliers are clipped: {range}");
        Assert.IsGreaterThan(3f, range.Max, $"the Gaussian bulk (|x| < 3.9 for 99.99 %) is kept: {range}");
        Assert.AreEqual(-range.Max, range.Min, 1e-6f, "the threshold is symmetric for signed data");
    }

    [TestMethod]
    public void Entropy_OnAHeavyTailedDistribution_ChoosesAThresholdBelowTheMaximum()
    {
        // Laplace-distributed magnitudes (as post-activation tails are) with a long tail of rare large values.
        var random = new Random(3);
        var values = new float[100_000];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)-Math.Log(1 - random.NextDouble());
        }

        var statistics = Observe(values);

        var range = statistics.ToRange(new StaticInt8Options { Method = CalibrationMethod.Entropy });

        Assert.AreEqual(range.ObservedMin, range.Min, "non-negative data keeps its lower end");
        Assert.IsLessThan(range.ObservedMax * 0.8f, range.Max, $"the tail is clipped: {range}");
        Assert.IsGreaterThan(2f, range.Max, $"most of the mass (P(x < 2) = 86 %) stays inside: {range}");
    }

    [TestMethod]
    public void Entropy_OnDataThatFitsTheLevels_KeepsTheWholeRange()
    {
        // Values on 100 distinct points: quantizing them loses nothing, so no cut beats keeping everything.
        var values = Enumerable.Range(0, 10_000).Select(i => (float)(i % 100)).ToArray();
        var statistics = Observe(values);

        var range = statistics.ToRange(new StaticInt8Options { Method = CalibrationMethod.Entropy });

        Assert.AreEqual(99f, range.Max, 1f);
    }

    [TestMethod]
    public void ActivationParameters_Uint8Asymmetric_MapsTheRangeOntoAll256Levels()
    {
        var (scale, zero) = StaticInt8QuantizationPass.ActivationParameters(-1f, 3f, ActivationQuantization.UInt8Asymmetric);

        Assert.AreEqual(4f / 255f, scale, 1e-7f);
        Assert.AreEqual(64, zero);
        var (reluScale, reluZero) = StaticInt8QuantizationPass.ActivationParameters(0.5f, 2f, ActivationQuantization.UInt8Asymmetric);
        Assert.AreEqual(2f / 255f, reluScale, 1e-7f, "the range is widened to include 0");
        Assert.AreEqual(0, reluZero);
    }

    [TestMethod]
    public void ActivationParameters_Int8Symmetric_UsesZeroPointZero()
    {
        var (scale, zero) = StaticInt8QuantizationPass.ActivationParameters(-1f, 3f, ActivationQuantization.Int8Symmetric);

        Assert.AreEqual(3f / 127f, scale, 1e-7f);
        Assert.AreEqual(0, zero);
    }

    [TestMethod]
    public void Options_OutOfRange_AreRejected()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new StaticInt8QuantizationPass(options: new StaticInt8Options { Percentile = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new StaticInt8QuantizationPass(options: new StaticInt8Options { HistogramBins = 16 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new StaticInt8QuantizationPass(options: new StaticInt8Options { MaxCalibrationSamples = 0 }));
    }

    private static ActivationStatistics Observe(params float[][] batches)
    {
        var statistics = new ActivationStatistics("t", 2048);
        foreach (var batch in batches)
        {
            statistics.Add(batch);
        }

        return statistics;
    }

    private static float[] Gaussian(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        return values;
    }
}
