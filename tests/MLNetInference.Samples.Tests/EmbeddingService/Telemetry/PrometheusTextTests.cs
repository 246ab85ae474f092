namespace MLNetInference.Samples.Tests.EmbeddingService.Telemetry;

/// <summary>The test's own Prometheus reader must reject what scrapers reject, or the scrape test proves nothing.</summary>
[TestClass]
public sealed class PrometheusTextTests
{
    private const string Valid = """
        # HELP latency_seconds Request latency.
        # TYPE latency_seconds histogram
        latency_seconds_bucket{model="m",le="0.1"} 90
        latency_seconds_bucket{model="m",le="1"} 99
        latency_seconds_bucket{model="m",le="+Inf"} 100
        latency_seconds_sum{model="m"} 12.5
        latency_seconds_count{model="m"} 100
        # TYPE up gauge
        up{job="a \"quoted\" \\ job"} 1 1700000000000
        """;

    [TestMethod]
    public void Parse_ValidHistogram_ComputesQuantilesLikePrometheus()
    {
        var scrape = PrometheusText.Parse(Valid);

        var histogram = scrape.GetHistogram("latency_seconds", l => l["model"] == "m");
        Assert.AreEqual(100, histogram.Count);
        Assert.AreEqual(12.5, histogram.Sum);
        Assert.AreEqual(0.05, histogram.Quantile(0.45), 1e-12, "rank 45 of 90 in [0, 0.1]");
        Assert.AreEqual(0.1 + (0.9 * 8.0 / 9.0), histogram.Quantile(0.98), 1e-12, "rank 98: 8 of the 9 in (0.1, 1]");
        Assert.AreEqual(1.0, histogram.Quantile(1.0), 1e-12, "the +Inf bucket answers the highest finite bound");
        Assert.AreEqual("a \"quoted\" \\ job", scrape.Families["up"].Samples.Single().Labels["job"]);
    }

    [TestMethod]
    [DataRow("latency_seconds_bucket{le=\"1\"} 3", DisplayName = "sample without a TYPE line")]
    [DataRow("# TYPE x gauge\nx{a=\"1} 3", DisplayName = "unclosed label value")]
    [DataRow("# TYPE x gauge\nx 3 4 5", DisplayName = "extra fields")]
    [DataRow("# TYPE x gauge\nx three", DisplayName = "value not a number")]
    [DataRow("# TYPE x gauge\n# TYPE x counter", DisplayName = "type declared twice")]
    [DataRow("# TYPE 9x gauge", DisplayName = "bad metric name")]
    public void Parse_Malformed_ThrowsFormatException(string text)
        => Assert.ThrowsExactly<FormatException>(() => PrometheusText.Parse(text));

    [TestMethod]
    public void GetHistogram_BucketsNotCumulative_ThrowsFormatException()
    {
        var scrape = PrometheusText.Parse(Valid.Replace("le=\"1\"} 99", "le=\"1\"} 80", StringComparison.Ordinal));

        Assert.ThrowsExactly<FormatException>(() => scrape.GetHistogram("latency_seconds", _ => true));
    }

    [TestMethod]
    public void GetHistogram_InfBucketDisagreesWithCount_ThrowsFormatException()
    {
        var scrape = PrometheusText.Parse(Valid.Replace("_count{model=\"m\"} 100", "_count{model=\"m\"} 101", StringComparison.Ordinal));

        Assert.ThrowsExactly<FormatException>(() => scrape.GetHistogram("latency_seconds", _ => true));
    }
}
