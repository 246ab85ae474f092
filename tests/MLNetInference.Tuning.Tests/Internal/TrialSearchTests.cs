using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Runtime;
using MLNetInference.Tuning.Internal;

namespace MLNetInference.Tuning.Tests.Internal;

[TestClass]
public sealed class TrialSearchTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Run_SeveralRecipes_PicksTheFastestWithinTheAccuracyBudget()
    {
        var fake = new FakeEvaluator();
        fake.Throughput["original"] = 100;
        fake.Throughput["fuse"] = 150;
        fake.Throughput["int8"] = 300;
        fake.Cosine["int8"] = 0.98;

        var outcome = Search(fake, Request(fallback: false));

        Assert.AreEqual("fuse", outcome.Best.Configuration.Candidate.Name);
        Assert.AreEqual(8, outcome.Best.Configuration.Batching.MaxBatchSize);
        Assert.AreEqual(TrialStatus.Passed, outcome.Best.Status);
        Assert.AreEqual(TrialStatus.RejectedAccuracy, outcome.Trials.Single(t => t.Configuration.Candidate.Name == "int8").Status);
        Assert.IsNotNull(outcome.Baseline);
        Assert.IsTrue(outcome.Baseline.IsBaseline);
    }

    [TestMethod]
    public void Run_RecipeOutsideAccuracyBudget_IsNeverTimed()
    {
        var fake = new FakeEvaluator();
        fake.Cosine["int8"] = 0.5;
        fake.Throughput["int8"] = 10_000;

        var outcome = Search(fake, Request(fallback: false));

        CollectionAssert.DoesNotContain(fake.TimedRecipes, "int8");
        Assert.AreNotEqual("int8", outcome.Best.Configuration.Candidate.Name);
        Assert.IsNull(outcome.Trials.Single(t => t.Configuration.Candidate.Name == "int8").Performance);
    }

    [TestMethod]
    public void Run_LatencyCeiling_NeverPicksATrialAboveIt()
    {
        var fake = new FakeEvaluator();
        fake.Throughput["fuse"] = 150;
        fake.P99["fuse"] = 10;
        var request = Request(fallback: false);
        request.P99LatencyCeiling = TimeSpan.FromMilliseconds(30);

        var outcome = Search(fake, request);

        Assert.IsLessThanOrEqualTo(30.0, outcome.Best.Performance!.P99Ms);
        Assert.AreEqual(1, outcome.Best.Configuration.Batching.MaxBatchSize);
        foreach (var trial in outcome.Trials.Where(t => t.Configuration.Batching.MaxBatchSize == 8 && t.Performance is not null))
        {
            Assert.AreEqual(TrialStatus.RejectedLatency, trial.Status, trial.ToString());
        }
    }

    [TestMethod]
    public void Run_SecondRunWithTheSameCache_MeasuresNothing()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"tuner-cache-{Guid.NewGuid():N}");
        try
        {
            var first = new FakeEvaluator();
            var firstOutcome = Search(first, Request(fallback: false), new TrialCache(folder));
            Assert.IsGreaterThan(0, first.PerformanceCalls);

            var second = new FakeEvaluator();
            var cache = new TrialCache(folder);
            var secondOutcome = Search(second, Request(fallback: false), cache);

            Assert.AreEqual(0, second.AccuracyCalls);
            Assert.AreEqual(0, second.PerformanceCalls);
            Assert.AreEqual(0, cache.Misses);
            Assert.AreEqual(firstOutcome.Best.Configuration, secondOutcome.Best.Configuration);
            Assert.IsTrue(secondOutcome.Best.Cached);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void Run_RerunOfABudgetLimitedSearch_ReplaysItsDecisionsFromTheCache()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"tuner-cache-{Guid.NewGuid():N}");
        try
        {
            TuningRequest Request()
            {
                var request = TrialSearchTests.Request(fallback: true);
                request.TrialDuration = TimeSpan.FromSeconds(2);
                request.TimeBudget = TimeSpan.FromSeconds(15);
                request.SearchSpace = Space(batches: [1, 2, 4, 8, 16, 32], delays: [0.5, 1, 2]);
                return request;
            }

            FakeEvaluator Fake()
            {
                var fake = new FakeEvaluator { AccuracyCost = TimeSpan.FromSeconds(1) };
                fake.NodeErrors["a"] = 0.009;
                fake.NodeErrors["b"] = 0.007;
                return fake;
            }

            var first = Search(Fake(), Request(), new TrialCache(folder));
            var second = Fake();
            var cache = new TrialCache(folder);
            var replayed = Search(second, Request(), cache);

            Assert.AreEqual(0, cache.Misses, "the rerun measured something new");
            Assert.AreEqual(0, second.PerformanceCalls + second.AccuracyCalls);
            Assert.AreEqual(first.Best.Configuration, replayed.Best.Configuration);
            Assert.IsTrue(first.Trials.Any(t => t.Status == TrialStatus.Skipped), "the first run should have run out of budget");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void Run_OtherModelFingerprint_MissesTheCache()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"tuner-cache-{Guid.NewGuid():N}");
        try
        {
            Search(new FakeEvaluator(), Request(fallback: false), new TrialCache(folder));
            var other = new FakeEvaluator { Fingerprint = "another-model" };

            Search(other, Request(fallback: false), new TrialCache(folder));

            Assert.IsGreaterThan(0, other.PerformanceCalls);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void Run_FailingTrial_IsRecordedAndSkipped()
    {
        var fake = new FakeEvaluator();
        fake.Throughput["fuse"] = 1_000;
        fake.FailingRecipes.Add("fuse");

        var outcome = Search(fake, Request(fallback: false));

        var failed = outcome.Trials.Where(t => t.Configuration.Candidate.Name == "fuse").ToList();
        Assert.IsNotEmpty(failed);
        foreach (var trial in failed)
        {
            Assert.AreEqual(TrialStatus.Failed, trial.Status);
            Assert.Contains("cannot run", trial.Error!);
        }

        Assert.AreNotEqual("fuse", outcome.Best.Configuration.Candidate.Name);
    }

    [TestMethod]
    public void Run_SmallSpaceAndAmpleBudget_MeasuresEveryTrialAtFullLength()
    {
        var fake = new FakeEvaluator();
        var request = Request(fallback: false);
        request.TimeBudget = TimeSpan.FromHours(1);

        var outcome = Search(fake, request);

        StringAssert.StartsWith(outcome.Strategy, "exhaustive");
        Assert.IsTrue(fake.Timings.All(t => t == request.TrialDuration));
        Assert.AreEqual(outcome.Trials.Count(t => t.Accuracy is not null && t.Status != TrialStatus.RejectedAccuracy), fake.PerformanceCalls);
    }

    [TestMethod]
    public void Run_LargeSpaceUnderTimeBudget_HalvesSuccessivelyWithinTheBudget()
    {
        var fake = new FakeEvaluator { AccuracyCost = TimeSpan.FromSeconds(1) };
        fake.Throughput["fuse"] = 150;
        var request = Request(fallback: false);
        request.TrialDuration = TimeSpan.FromSeconds(2);
        request.TimeBudget = TimeSpan.FromSeconds(40);
        request.SearchSpace = Space(batches: [1, 2, 4, 8, 16, 32], delays: [0.5, 1, 2]);

        var outcome = Search(fake, request);

        StringAssert.StartsWith(outcome.Strategy, "successive halving");
        Assert.IsLessThanOrEqualTo(request.TimeBudget.Value, fake.Elapsed, $"spent {fake.Elapsed}");
        Assert.IsLessThan(fake.Timings.Max(), fake.Timings.Min(), "later rungs time longer");
        Assert.AreEqual("fuse", outcome.Best.Configuration.Candidate.Name);
        Assert.AreEqual(32, outcome.Best.Configuration.Batching.MaxBatchSize);
        Assert.IsTrue(outcome.Trials.Any(t => t.Status == TrialStatus.Pruned));
    }

    [TestMethod]
    public void Run_QuantizedRecipeBreaksTheBudget_KeepsTheWorstNodesInFloatUntilItPasses()
    {
        var fake = new FakeEvaluator();
        fake.NodeErrors["layer0/MatMul"] = 0.001;
        fake.NodeErrors["layer1/MatMul"] = 0.008;
        fake.NodeErrors["layer2/MatMul"] = 0.004;
        fake.NodeErrors["layer3/MatMul"] = 0.0005;
        fake.Throughput["int8"] = 500;

        var outcome = Search(fake, Request(fallback: true));

        var best = outcome.Best.Configuration.Candidate;
        Assert.AreEqual("int8 (1 float nodes)", best.Name);
        CollectionAssert.AreEqual(new[] { "layer1/MatMul" }, best.ExcludedNodes.ToArray());
        Assert.IsLessThanOrEqualTo(0.01, 1 - outcome.Best.Accuracy!.MeanCosine);
        Assert.AreEqual(TrialStatus.RejectedAccuracy, outcome.Trials.First(t => t.Configuration.Candidate.Name == "int8").Status);
    }

    [TestMethod]
    public void Run_FallbackNeedsSeveralNodes_AddsThemInOrderOfError()
    {
        var fake = new FakeEvaluator();
        fake.NodeErrors["a"] = 0.009;
        fake.NodeErrors["b"] = 0.007;
        fake.NodeErrors["c"] = 0.005;
        fake.NodeErrors["d"] = 0.0001;
        fake.Throughput["int8"] = 500;

        var outcome = Search(fake, Request(fallback: true));

        var best = outcome.Best.Configuration.Candidate;
        CollectionAssert.AreEquivalent(new[] { "a", "b" }, best.ExcludedNodes.ToArray());
        Assert.IsTrue(outcome.Trials.Any(t => t.Configuration.Candidate.Name == "int8 (1 float nodes)" && t.Status == TrialStatus.RejectedAccuracy));
    }

    [TestMethod]
    public void RecipeCandidate_SameSettingsInOtherOptionInstances_AreEqual()
    {
        var a = new RecipeCandidate("int8", "fuse+int8-dynamic") { Int8 = new() { PerChannel = false } };
        var b = new RecipeCandidate("int8", "fuse+int8-dynamic") { Int8 = new() { PerChannel = false } };
        var c = new RecipeCandidate("int8", "fuse+int8-dynamic") { Int8 = new() { PerChannel = true } };

        Assert.AreEqual(a, b);
        Assert.AreEqual(a.GetHashCode(), b.GetHashCode());
        Assert.AreNotEqual(a, c);
        Assert.AreNotEqual(a, a.WithExcludedNodes(["n1"]));
    }

    [TestMethod]
    public void Run_Cancelled_Throws()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var search = new TrialSearch(new FakeEvaluator(), new TrialCache(null), Request(fallback: false), Space(), null);

        Assert.ThrowsExactly<OperationCanceledException>(() => search.Run(cancel.Token));
    }

    private static SearchOutcome Search(FakeEvaluator fake, TuningRequest request, TrialCache? cache = null)
        => new TrialSearch(fake, cache ?? new TrialCache(null), request, request.SearchSpace ?? Space(), null).Run(CancellationToken.None);

    internal static TuningRequest Request(bool fallback) => new()
    {
        ModelPath = "fake.onnx",
        OutputDirectory = "out",
        TrialDuration = TimeSpan.FromSeconds(1),
        TimeBudget = TimeSpan.FromSeconds(120),
        Concurrency = 8,
        AccuracyFallback = fallback,
    };

    internal static TuningSearchSpace Space(int[]? batches = null, double[]? delays = null) => new()
    {
        Recipes =
        [
            new RecipeCandidate("original", RecipeCandidate.NoRecipe),
            new RecipeCandidate("fuse", "fuse"),
            new RecipeCandidate("int8", "fuse+int8-dynamic"),
        ],
        Providers = [ExecutionProvider.Cpu],
        IntraOpThreads = [1],
        OptimizationLevels = [GraphOptimizationLevel.ORT_ENABLE_ALL],
        MaxBatchSizes = batches ?? [1, 8],
        MaxQueueDelaysMs = delays ?? [1],
    };
}
