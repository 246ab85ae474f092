using System.Text.Json;
using MLNetInference.Tuning.Internal;

namespace MLNetInference.Tuning.Tests.Internal;

[TestClass]
public sealed class ReportFilesTests
{
    private string _folder = null!;

    [TestInitialize]
    public void CreateFolder()
    {
        _folder = Path.Combine(Path.GetTempPath(), $"tuner-report-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_folder);
    }

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public void WriteJson_Report_ListsEveryTrialAndTheBest()
    {
        var report = Report();
        var path = Path.Combine(_folder, "report.json");

        ReportFiles.WriteJson(report, path);

        using var json = JsonDocument.Parse(File.ReadAllText(path));
        Assert.AreEqual(report.Trials.Count, json.RootElement.GetProperty("trials").GetArrayLength());
        Assert.AreEqual(report.Best.Id, json.RootElement.GetProperty("best_trial").GetInt32());
        Assert.IsGreaterThan(0.0, json.RootElement.GetProperty("best_cost_per_million").GetProperty("kwh_per_million").GetDouble());
        Assert.AreEqual("RejectedAccuracy", json.RootElement.GetProperty("trials")[0].GetProperty("status").GetString());
    }

    [TestMethod]
    public void WriteMarkdown_Report_HasOneTableRowPerTrialAndStatesTheAssumptions()
    {
        var report = Report();
        var path = Path.Combine(_folder, "report.md");

        ReportFiles.WriteMarkdown(report, path);

        var lines = File.ReadAllLines(path);
        Assert.AreEqual(report.Trials.Count, lines.Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\| \d+ \|")));
        Assert.IsTrue(lines.Any(l => l.Contains("**best**", StringComparison.Ordinal)));
        Assert.IsTrue(lines.Any(l => l.Contains("g CO2/kWh", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void WriteChart_Report_WritesAValidPng()
    {
        var path = Path.Combine(_folder, "pareto.png");

        ReportFiles.WriteChart(Report(), path);

        var bytes = File.ReadAllBytes(path);
        CollectionAssert.AreEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.IsGreaterThan(2_000, bytes.Length);
    }

    [TestMethod]
    public void WriteTunedModel_Best_WritesItsSettings()
    {
        var report = Report();
        var path = Path.Combine(_folder, "tuned.json");
        File.WriteAllBytes(Path.Combine(_folder, "model.onnx"), [1]);

        ReportFiles.WriteTunedModel(report.Best, path);

        var tuned = MLNetInference.Serving.TunedModelDescription.Load(_folder);
        Assert.AreEqual(report.Best.Configuration.Batching.MaxBatchSize, tuned.MaxBatchSize);
        Assert.AreEqual(report.Best.Configuration.Batching.Workers, tuned.WorkersPerDevice);
        Assert.AreEqual(report.Best.Configuration.Session.IntraOpThreads, tuned.IntraOpThreadsPerWorker);
    }

    internal static TuningReport Report()
    {
        var fake = new FakeEvaluator();
        fake.Cosine["int8"] = 0.95;
        var request = new TuningRequest { ModelPath = "model.onnx", OutputDirectory = "out", TrialDuration = TimeSpan.FromSeconds(1), AccuracyFallback = false, P99LatencyCeiling = TimeSpan.FromMilliseconds(50) };
        var space = TrialSearchTests.Space();
        space.Recipes.Insert(0, space.Recipes[2]);
        space.Recipes.RemoveAt(3);
        var outcome = new TrialSearch(fake, new TrialCache(null), request, space, null).Run(CancellationToken.None);
        return new TuningReport("model.onnx", request, outcome.Strategy, outcome.Trials, outcome.Best, outcome.Baseline, TimeSpan.FromSeconds(3), 0, fake.PerformanceCalls);
    }
}
