using Microsoft.ML.OnnxRuntime;
using MLNetInference.Models;
using MLNetInference.Optimizers.Quantization;
using MLNetInference.Core.Runtime;
using MLNetInference.Serving;

namespace MLNetInference.Tuning.Tests;

[TestClass]
public sealed class ModelTunerTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    // A hang guard, sized for a machine whose cores are busy with other work.
    [Timeout(600_000, CooperativeCancellation = true)]
    public async Task TuneAsync_QuickMiniLm_MeetsTheAccuracyBudgetAndWritesEveryFile()
    {
        var output = Path.Combine(Path.GetTempPath(), $"tuner-minilm-{Guid.NewGuid():N}");
        var progress = new List<TuningProgress>();
        try
        {
            var request = new TuningRequest
            {
                ModelPath = ModelPaths.MiniLmModel,
                OutputDirectory = output,
                Sentences = SentenceCorpus.Load(12),
                VocabularyPath = ModelPaths.MiniLmVocab,
                Quick = true,
                MaxCosineDrop = 0.01,
                Concurrency = 4,
                TrialDuration = TimeSpan.FromSeconds(0.3),
                AccuracyFallback = false,
                SearchSpace = new TuningSearchSpace
                {
                    Recipes = [new("original", RecipeCandidate.NoRecipe), new("int8-per-channel", "fuse+int8-dynamic")],
                    IntraOpThreads = [1],
                    OptimizationLevels = [GraphOptimizationLevel.ORT_ENABLE_ALL],
                    MaxBatchSizes = [1, 4],
                    MaxQueueDelaysMs = [1],
                },
            };

            var result = await ModelTuner.TuneAsync(request, new SynchronousProgress(progress), TestContext.CancellationToken);

            Assert.IsGreaterThanOrEqualTo(0.99, result.Best.Accuracy!.MeanCosine);
            Assert.AreEqual(TrialStatus.Passed, result.Best.Status);
            foreach (var file in new[] { result.ModelPath, result.ReportJsonPath, result.ReportMarkdownPath, result.ChartPath, result.TunedModelPath })
            {
                Assert.IsTrue(File.Exists(file), file);
            }

            using (var session = new InferenceSession(result.ModelPath))
            {
                Assert.Contains("input_ids", session.InputMetadata.Keys);
            }

            var tuned = TunedModelDescription.Load(output);
            Assert.AreEqual(result.Best.Configuration.Batching.MaxBatchSize, tuned.MaxBatchSize);
            Assert.IsNotNull(result.Report.Baseline);
            var markdown = result.Report.ToMarkdown();
            StringAssert.Contains(markdown, "| # | recipe |");
            StringAssert.Contains(markdown, $"8-bit kernels: {CpuInt8Kernels.InstructionSet}");

            // An INT8 recipe ran on the CPU: the report says whether this CPU makes INT8 fast.
            Assert.AreEqual(!CpuInt8Kernels.HasFastInt8, markdown.Contains("has no fast 8-bit instructions", StringComparison.Ordinal), markdown);
            Assert.IsNotEmpty(progress);
            TestContext.WriteLine(result.Report.ToMarkdown());
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    [TestMethod]
    public async Task TuneAsync_MissingModel_ThrowsFileNotFound()
    {
        var request = new TuningRequest { ModelPath = "/no/such/model.onnx", OutputDirectory = Path.GetTempPath() };

        await Assert.ThrowsExactlyAsync<FileNotFoundException>(() => ModelTuner.TuneAsync(request));
    }

    [TestMethod]
    public async Task TuneAsync_SentencesWithoutVocabulary_ThrowsArgumentException()
    {
        var request = new TuningRequest { ModelPath = FixtureModels.EnsureFile(FixtureModels.SmallMlpName), OutputDirectory = Path.GetTempPath(), Sentences = ["a sentence"] };

        await Assert.ThrowsExactlyAsync<ArgumentException>(() => ModelTuner.TuneAsync(request));
    }

    [TestMethod]
    public async Task TuneAsync_SmallMlpWithGeneratedInputs_PicksAConfigurationAndCachesTheRerun()
    {
        var output = Path.Combine(Path.GetTempPath(), $"tuner-mlp-{Guid.NewGuid():N}");
        var cache = Path.Combine(output, "cache");
        try
        {
            TuningRequest Request() => new()
            {
                ModelPath = FixtureModels.EnsureFile(FixtureModels.SmallMlpName),
                OutputDirectory = output,
                CacheDirectory = cache,
                Metric = AccuracyMetric.Top1Agreement,
                Concurrency = 4,
                TrialDuration = TimeSpan.FromSeconds(0.15),
                SearchSpace = new TuningSearchSpace
                {
                    Recipes = [new("original", RecipeCandidate.NoRecipe), new("int8", "fuse+int8-dynamic"), new("broken", "fuse+int8-dynamic") { Int8 = new DynamicInt8Options { MinimumWeightElements = -1 } }],
                    Providers = [ExecutionProvider.Cpu],
                    MaxBatchSizes = [1, 8],
                },
            };

            var first = await ModelTuner.TuneAsync(Request());
            var second = await ModelTuner.TuneAsync(Request());

            Assert.AreEqual(first.Best.Configuration, second.Best.Configuration);
            // Only the failing recipe is tried again: failures are not cached.
            Assert.IsLessThanOrEqualTo(1, second.Report.Evaluations);
            Assert.IsGreaterThan(0, second.Report.CacheHits);
            var broken = first.Trials.Single(t => t.Configuration.Candidate.Name == "broken");
            Assert.AreEqual(TrialStatus.Failed, broken.Status);
            Assert.IsNotNull(broken.Error);
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    private sealed class SynchronousProgress(List<TuningProgress> sink) : IProgress<TuningProgress>
    {
        public void Report(TuningProgress value)
        {
            lock (sink)
            {
                sink.Add(value);
            }
        }
    }
}
