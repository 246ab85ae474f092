using System.Numerics.Tensors;
using MLNetInference.Models;
using MLNetInference.Core.Onnx;
using MLNetInference.Optimizers.Quantization.Int4;
using MLNetInference.Optimizers.Recipes;

namespace MLNetInference.Optimizers.Tests.Recipes;

/// <summary>The quantizing recipes on MiniLM, judged on the pooled sentence embeddings of real corpus sentences.</summary>
[TestClass]
public sealed class RecipeAccuracyOnRealSentencesTests
{
    private const int SentenceCount = 200;

    private static string s_directory = string.Empty;
    private static IReadOnlyList<string> s_sentences = [];
    private static List<float[]> s_fp32 = [];

    [ClassInitialize]
    public static void EmbedFp32Once(TestContext context)
    {
        _ = context;
        s_directory = Directory.CreateTempSubdirectory("recipe-accuracy-").FullName;
        s_sentences = SentenceCorpus.Load(SentenceCount);
        s_fp32 = Embed(ModelPaths.MiniLmModel);
    }

    [ClassCleanup]
    public static void DeleteFiles() => Directory.Delete(s_directory, recursive: true);

    [TestMethod]
    public void FuseInt8Dynamic_MiniLm_QAttentionEmbeddingsStayCloseToFp32()
    {
        var (model, cosines) = OptimizeAndCompare("fuse+int8-dynamic");

        Assert.AreEqual(6, model.Graph.Node.Count(n => n.OpType == "QAttention"));
        Assert.IsGreaterThanOrEqualTo(0.99, cosines.Average(), $"mean cosine {cosines.Average():F4}");
        Assert.IsGreaterThanOrEqualTo(0.98, cosines.Min(), $"min cosine {cosines.Min():F4}");
        Assert.IsLessThan(0.99999, cosines.Average(), "the int8 model gives fp32's embeddings exactly; was it quantized?");
    }

    [TestMethod]
    public void FuseInt4Weights_MiniLm_PooledEmbeddingMeanCosineAtLeast098()
    {
        var (model, cosines) = OptimizeAndCompare("fuse+int4-weights");

        // The recipe's default keeps the most sensitive MatMuls float.
        Assert.AreEqual(36 - Int4Options.RecipeDefaultKeepInFloat, model.Graph.Node.Count(n => n.OpType == "MatMulNBits"));
        Assert.IsGreaterThanOrEqualTo(0.98, cosines.Average(), $"mean cosine {cosines.Average():F4}, min {cosines.Min():F4}");
        Assert.IsLessThan(0.9999, cosines.Average(), "the int4 model gives fp32's embeddings exactly; was it quantized?");
    }

    private static (Core.Onnx.Proto.ModelProto Model, List<double> Cosines) OptimizeAndCompare(string recipe)
    {
        var model = OnnxModelIO.Load(ModelPaths.MiniLmModel);
        OptimizationRecipe.Parse(recipe).CreatePasses().Run(model);
        var path = Path.Combine(s_directory, recipe + ".onnx");
        File.WriteAllBytes(path, OnnxModelIO.ToBytes(model));
        var embeddings = Embed(path);
        Assert.HasCount(SentenceCount, embeddings);
        return (model, [.. s_fp32.Zip(embeddings, (a, b) => (double)TensorPrimitives.CosineSimilarity<float>(a, b))]);
    }

    private static List<float[]> Embed(string modelPath) => SentenceEmbeddings.Embed(modelPath, ModelPaths.MiniLmVocab, s_sentences);
}
