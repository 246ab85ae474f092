using System.IO.Compression;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Transforms.Onnx;
using MLNetInference.Models;
using MLNetInference.Pipeline.Scoring;
using MLNetInference.Pipeline.Serialization;
using MLNetInference.Tests.Shared;

namespace MLNetInference.Pipeline.Tests.Serialization;

[TestClass]
public sealed class BatchedModelTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Load_SavedScorer_BuildsOneOnnxSession()
    {
        var path = SaveMlp(renamed: false, out _);
        var ml = StockSessionsVisible(new MLContext(seed: 2));

        // The count sees ML.NET's own sessions: a stock load of the same zip builds its OnnxTransformer's one.
        using (var stockLoad = OrtSessionLog.Start())
        {
            BatchedModel.DisposeModel(ml.Model.Load(path, out _));
            Assert.AreEqual(1, stockLoad.SessionsInitialized, "the log should see the session of ML.NET's OnnxTransformer");
        }

        using var capture = OrtSessionLog.Start();
        var loaded = BatchedModel.Load(ml, path, out _);

        Assert.AreEqual(1, capture.SessionsInitialized, "our load should build our scorer's session and nothing else");
        Assert.IsInstanceOfType<OnnxBatchScoringTransformer>(BatchedModel.GetStages(loaded).Single());
        BatchedModel.DisposeModel(loaded);
    }

    [TestMethod]
    public void Load_RenamedOutputs_RoundTripsWithSameScores()
    {
        // The stock stand-in of a scorer with renamed outputs is a chain (OnnxTransformer, then CopyColumns).
        var path = SaveMlp(renamed: true, out var expected);
        var ml = new MLContext(seed: 2);

        using var capture = OrtSessionLog.Start();
        var loaded = BatchedModel.Load(ml, path, out _);

        Assert.AreEqual(1, capture.SessionsInitialized);
        var actual = Score<RenamedOutput>(ml, loaded).Select(o => o.Score).ToList();
        for (var r = 0; r < expected.Count; r++)
        {
            CollectionAssert.AreEqual(expected[r], actual[r], $"row {r}");
        }

        BatchedModel.DisposeModel(loaded);
    }

    [TestMethod]
    public void Load_ZipFromEarlierVersionWithoutStockFolders_FindsTheStagesFromTheChain()
    {
        var path = SaveMlp(renamed: false, out var expected);
        RewriteManifest(path, manifest =>
        {
            foreach (var stage in manifest["Stages"]!.AsArray())
            {
                stage!.AsObject().Remove("StockFolder");
            }
        });
        var ml = StockSessionsVisible(new MLContext(seed: 2));

        using var capture = OrtSessionLog.Start();
        var loaded = BatchedModel.Load(ml, path, out _);

        Assert.AreEqual(1, capture.SessionsInitialized);
        var actual = Score<MlpOutput>(ml, loaded).Select(o => o.scores).ToList();
        CollectionAssert.AreEqual(expected[0], actual[0]);
        BatchedModel.DisposeModel(loaded);
    }

    [TestMethod]
    public void Load_ManifestPointsAtMissingStage_ThrowsInvalidData()
    {
        var path = SaveMlp(renamed: false, out _);
        RewriteManifest(path, manifest => manifest["Stages"]![0]!["StockFolder"] = "TransformerChain/Transform_009");

        var error = Assert.ThrowsExactly<InvalidDataException>(() => BatchedModel.Load(new MLContext(), path, out _));

        StringAssert.Contains(error.Message, "Transform_009");
    }

    private static MLContext StockSessionsVisible(MLContext ml)
    {
        ml.SetOnnxSessionOption(new OnnxSessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_INFO });
        return ml;
    }

    private static MlpInput[] Rows() => [.. Enumerable.Range(0, 5).Select(r => new MlpInput { features = [.. Enumerable.Range(0, FixtureModels.SmallMlpInputSize).Select(i => (float)((r + 1) * (i + 1) % 7) / 7f)] })];

    private static IEnumerable<T> Score<T>(MLContext ml, ITransformer model)
        where T : class, new()
        => ml.Data.CreateEnumerable<T>(model.Transform(ml.Data.LoadFromEnumerable(Rows())), reuseRowObject: false).ToList();

    private static void RewriteManifest(string path, Action<JsonObject> change)
    {
        using var archive = ZipFile.Open(path, ZipArchiveMode.Update);
        var entry = archive.GetEntry(BatchedModel.EntryFolder + "manifest.json")!;
        JsonObject manifest;
        using (var reader = entry.Open())
        {
            manifest = JsonNode.Parse(reader)!.AsObject();
        }

        change(manifest);
        entry.Delete();
        using var writer = new StreamWriter(archive.CreateEntry(BatchedModel.EntryFolder + "manifest.json").Open());
        writer.Write(manifest.ToJsonString());
    }

    private string SaveMlp(bool renamed, out List<float[]> expected)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows());
        var options = new OnnxBatchScoringOptions { ModelPath = TestModels.SmallMlpPath, BatchSize = 2 };
        if (renamed)
        {
            options.OutputColumns["scores"] = "Score";
        }

        using var transformer = ml.Transforms.ScoreOnnxBatched(options).Fit(data);
        expected = renamed
            ? [.. Score<RenamedOutput>(ml, transformer).Select(o => o.Score)]
            : [.. Score<MlpOutput>(ml, transformer).Select(o => o.scores)];
        var path = Path.Combine(TestContext.TestRunDirectory ?? Path.GetTempPath(), $"batched-{Guid.NewGuid():N}.zip");
        BatchedModel.Save(ml, transformer, data.Schema, path);
        return path;
    }

#pragma warning disable SA1300, IDE1006 // Column names follow the model's input and output names.
    public sealed class MlpInput
    {
        [VectorType(FixtureModels.SmallMlpInputSize)]
        public float[] features { get; set; } = [];
    }

    public sealed class MlpOutput
    {
        [VectorType(FixtureModels.SmallMlpOutputSize)]
        public float[] scores { get; set; } = [];
    }
#pragma warning restore SA1300, IDE1006

    public sealed class RenamedOutput
    {
        [VectorType(FixtureModels.SmallMlpOutputSize)]
        public float[] Score { get; set; } = [];
    }
}
