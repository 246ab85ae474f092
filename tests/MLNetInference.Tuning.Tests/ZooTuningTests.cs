using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetInference.Models;

namespace MLNetInference.Tuning.Tests;

/// <summary>The tuner on zoo models: exports it has never seen, with generated inputs.</summary>
[TestClass]
public sealed class ZooTuningTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(240_000, CooperativeCancellation = true)]
    public async Task TuneAsync_QuickOnOpset11PyTorchEncoder_EveryRecipeBuildsAValidModel()
    {
        var output = Path.Combine(Path.GetTempPath(), $"tuner-zoo-{Guid.NewGuid():N}");
        try
        {
            var path = ZooModels.Get("bert-opset11-pt2").WriteTo(output);
            var request = Request(path, output, 0.01,
                [new("original", RecipeCandidate.NoRecipe), new("fuse", "fuse"), new("int8", "fuse+int8-dynamic"), new("int8-unfused", "int8-dynamic"), new("int4", "fuse+int4-weights"), new("int8-static", "fuse+int8-static")]);

            var result = await ModelTuner.TuneAsync(request, cancellationToken: TestContext.CancellationToken);

            var markdown = result.Report.ToMarkdown();
            TestContext.WriteLine(markdown);
            var failed = result.Report.Trials.Where(t => t.Status == TrialStatus.Failed).Select(t => $"{t.Configuration.Candidate.Name}: {t.Error}").ToList();
            Assert.IsEmpty(failed, string.Join(Environment.NewLine, failed));
            Assert.IsNull(result.Report.QuantizationWarning);
            Assert.IsTrue(result.Report.Trials.Any(t => t.Configuration.Candidate.Name == "int8" && t.Status is TrialStatus.Passed or TrialStatus.Pruned));
            using var session = new InferenceSession(result.ModelPath);
            Assert.Contains("input_ids", session.InputMetadata.Keys);
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
    [Timeout(240_000, CooperativeCancellation = true)]
    public async Task TuneAsync_CnnWhereNoQuantizedRecipePasses_SaysSoInTheReportsFirstLines()
    {
        var output = Path.Combine(Path.GetTempPath(), $"tuner-zoo-{Guid.NewGuid():N}");
        try
        {
            // INT4 weight quantization has no MatMul to rewrite in a CNN, and dynamic INT8 moves the logits by more
            // than the (tight) budget allows: no quantized recipe passes, while the float fusion does.
            var path = ZooModels.Get("cnn-opset8").WriteTo(output);
            var request = Request(path, output, 1e-7,
                [new("original", RecipeCandidate.NoRecipe), new("fuse", "fuse"), new("int4", "fuse+int4-weights"), new("int8-unfused", "int8-dynamic")]);

            var result = await ModelTuner.TuneAsync(request, cancellationToken: TestContext.CancellationToken);

            var markdown = result.Report.ToMarkdown();
            TestContext.WriteLine(markdown);
            Assert.IsNotNull(result.Report.QuantizationWarning);
            var firstLines = string.Join('\n', markdown.Split('\n').Take(4));
            StringAssert.Contains(firstLines, "No quantized recipe passed");
            StringAssert.Contains(firstLines, "found nothing to quantize");
            Assert.AreEqual(TrialStatus.Failed, result.Report.Trials.First(t => t.Configuration.Candidate.Name == "int4").Status);
            Assert.AreEqual(TrialStatus.RejectedAccuracy, result.Report.Trials.First(t => t.Configuration.Candidate.Name == "int8-unfused").Status);
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
    [Timeout(240_000, CooperativeCancellation = true)]
    public async Task TuneAsync_QuickOnFloat16InputModel_RunsEndToEndAndSaysWhichRecipesFailedOrLeftItUnchanged()
    {
        var output = Path.Combine(Path.GetTempPath(), $"tuner-zoo-{Guid.NewGuid():N}");
        try
        {
            // A float16 MLP: generated float16 inputs, float16 outputs compared as floats; no float weight for the
            // quantizers, nothing for the fusions.
            var path = ZooModels.Get("mlp-fp16").WriteTo(output);
            var request = Request(path, output, 0.01,
                [new("original", RecipeCandidate.NoRecipe), new("fuse", "fuse"), new("int8-unfused", "int8-dynamic"), new("int4", "fuse+int4-weights"), new("fp16", "fp16")]);
            request.CacheDirectory = Path.Combine(output, "cache");

            var result = await ModelTuner.TuneAsync(request, cancellationToken: TestContext.CancellationToken);

            var markdown = result.Report.ToMarkdown();
            TestContext.WriteLine(markdown);
            var original = result.Report.Trials.First(t => t.Configuration.Candidate.Name == "original" && t.Accuracy is not null);
            Assert.AreEqual(TrialStatus.Passed, original.Status, original.Error);
            Assert.IsGreaterThan(0, original.Accuracy!.SampleCount);
            Assert.AreEqual(1.0, original.Accuracy.MeanCosine, 1e-9, "the float16 outputs were compared");
            Assert.IsGreaterThan(0.0, original.Performance!.RowsPerSecond, "float16 rows were batched and run");

            Assert.AreEqual(TrialStatus.Failed, result.Report.Trials.First(t => t.Configuration.Candidate.Name == "int8-unfused").Status);
            Assert.IsNotNull(result.Report.QuantizationWarning);
            StringAssert.Contains(result.Report.FailedRecipes["int8-unfused"], "found nothing to quantize");
            StringAssert.Contains(result.Report.UnchangedRecipes["fuse"], "no pass of the recipe found anything to change");
            Assert.IsTrue(result.Report.UnchangedRecipes.ContainsKey("fp16"), "converting a float16 model to float16 changes nothing");

            var firstLines = string.Join('\n', markdown.Split('\n').Take(5));
            StringAssert.Contains(firstLines, "No quantized recipe passed");
            StringAssert.Contains(firstLines, "Failed recipes: ");
            StringAssert.Contains(firstLines, "int8-unfused:");
            StringAssert.Contains(firstLines, "left the model unchanged");
            StringAssert.Contains(firstLines, "fuse: no pass of the recipe found anything to change");

            using (var session = new InferenceSession(result.ModelPath))
            {
                Assert.AreEqual(TensorElementType.Float16, session.InputMetadata["features"].ElementDataType);
            }

            // Served from the trial cache, the report still says which recipes changed nothing.
            var again = await ModelTuner.TuneAsync(request, cancellationToken: TestContext.CancellationToken);
            Assert.IsGreaterThan(0, again.Report.CacheHits);
            CollectionAssert.AreEquivalent(result.Report.UnchangedRecipes.ToList(), again.Report.UnchangedRecipes.ToList());
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    private static TuningRequest Request(string path, string output, double maxCosineDrop, IList<RecipeCandidate> recipes) => new()
    {
        ModelPath = path,
        OutputDirectory = Path.Combine(output, "tuned"),
        Quick = true,
        MaxCosineDrop = maxCosineDrop,
        Concurrency = 2,
        MaxSamples = 4,
        TrialDuration = TimeSpan.FromSeconds(0.15),
        AccuracyFallback = false,
        SearchSpace = new TuningSearchSpace
        {
            Recipes = recipes,
            IntraOpThreads = [1],
            OptimizationLevels = [GraphOptimizationLevel.ORT_ENABLE_ALL],
            MaxBatchSizes = [1],
            MaxQueueDelaysMs = [1],
        },
    };
}
