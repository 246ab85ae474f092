using Microsoft.ML.OnnxRuntime;
using MLNetInference.Models;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Optimizers.Quantization;

namespace MLNetInference.Optimizers.Tests.Quantization;

[TestClass]
public sealed class MiniLmInt8Tests
{
    private const int SentenceCount = 200;

    private static string s_directory = string.Empty;
    private static string s_int8Path = string.Empty;
    private static ModelProto s_original = null!;
    private static ModelProto s_quantized = null!;
    private static DynamicInt8Summary s_summary = null!;

    [ClassInitialize]
    public static void QuantizeOnce(TestContext context)
    {
        _ = context;
        s_directory = Directory.CreateTempSubdirectory("minilm-int8-").FullName;
        s_int8Path = Path.Combine(s_directory, "model.int8.onnx");
        s_original = OnnxModelIO.Load(ModelPaths.MiniLmModel);
        s_summary = ModelQuantizer.QuantizeDynamicInt8(ModelPaths.MiniLmModel, s_int8Path);
        s_quantized = OnnxModelIO.Load(s_int8Path);
    }

    [ClassCleanup]
    public static void DeleteFiles() => Directory.Delete(s_directory, recursive: true);

    [TestMethod]
    public void Quantize_MiniLm_EveryWeightMatMulBecomesDynamicQuantizeMatMul()
    {
        var weightMatMuls = CountWeightMatMuls(s_original);
        var gemms = s_original.Graph.Node.Count(n => n.OpType == "Gemm");

        Assert.AreEqual(36, weightMatMuls, "all-MiniLM-L6-v2 has 6 layers of Q, K, V, output and two FFN MatMuls");
        Assert.AreEqual(1, gemms, "and one pooler Gemm");
        Assert.AreEqual(weightMatMuls + gemms, s_quantized.Graph.Node.Count(n => n.OpType == "DynamicQuantizeMatMul" && n.Domain == "com.microsoft"));
        Assert.AreEqual(0, CountWeightMatMuls(s_quantized));
        Assert.AreEqual(0, s_quantized.Graph.Node.Count(n => n.OpType == "Gemm"));
        Assert.AreEqual(weightMatMuls, s_summary.QuantizedMatMuls);
        Assert.AreEqual(gemms, s_summary.QuantizedGemms);
        Assert.AreEqual(weightMatMuls, s_summary.FoldedBiases, "each weight MatMul is followed by a bias Add");
        Assert.AreEqual(s_original.Graph.Node.Count - weightMatMuls, s_quantized.Graph.Node.Count);
    }

    [TestMethod]
    public void Quantize_MiniLm_DropsTheFp32WeightsAndShrinksTheFile()
    {
        var originalBytes = new FileInfo(ModelPaths.MiniLmModel).Length;
        var quantizedBytes = new FileInfo(s_int8Path).Length;

        // The 47 MB word-embedding table stays fp32 (it feeds a Gather); the 43 MB of MatMul/Gemm weights shrink 4x.
        Assert.IsLessThan(originalBytes * 0.7, quantizedBytes, $"fp32 {originalBytes} bytes, int8 {quantizedBytes} bytes");
        Assert.AreEqual(s_summary.QuantizedMatMuls + s_summary.QuantizedGemms, s_summary.RemovedInitializers, "each fp32 weight is gone (folded biases move to the new nodes)");
        Assert.IsFalse(s_quantized.Graph.Initializer.Any(i => i.Name.EndsWith(".weight", StringComparison.Ordinal) && i.Dims.Count == 2 && i.DataType == (int)TensorProto.Types.DataType.Float && s_original.Graph.Node.Any(n => n.OpType is "MatMul" or "Gemm" && n.Input[1] == i.Name)));
    }

    [TestMethod]
    public void Quantize_MiniLm_LoadsInOnnxRuntimeWithTheSameInputsAndOutputs()
    {
        using var original = new InferenceSession(ModelPaths.MiniLmModel);
        using var quantized = new InferenceSession(s_int8Path);

        CollectionAssert.AreEquivalent(original.InputNames.ToList(), quantized.InputNames.ToList());
        CollectionAssert.AreEquivalent(original.OutputNames.ToList(), quantized.OutputNames.ToList());
    }

    [TestMethod]
    public void Quantize_MiniLm_EmbeddingsOf200SentencesStayCloseToFp32()
    {
        var sentences = SentenceCorpus.Load(SentenceCount);

        var fp32 = Embed(ModelPaths.MiniLmModel, sentences);
        var int8 = Embed(s_int8Path, sentences);

        Assert.HasCount(SentenceCount, int8);
        var cosines = fp32.Zip(int8, (a, b) => System.Numerics.Tensors.TensorPrimitives.CosineSimilarity<float>(a, b)).ToList();
        Assert.IsGreaterThanOrEqualTo(0.99, cosines.Average(), $"mean cosine {cosines.Average():F4}");
        Assert.IsGreaterThanOrEqualTo(0.98, cosines.Min(), $"min cosine {cosines.Min():F4}");
        Assert.IsLessThan(0.99999, cosines.Average(), "the int8 model gives fp32's embeddings exactly; was it quantized?");
    }

    [TestMethod]
    public void Quantize_MiniLmWithOneNodeExcluded_ThatNodeStaysMatMul()
    {
        var model = s_original.Clone();
        var excluded = model.Graph.Node.First(n => n.OpType == "MatMul" && IsWeightMatMul(model, n)).Name;
        var pass = new DynamicInt8QuantizationPass(new DynamicInt8Options { ExcludedNodeNames = [excluded] });

        Assert.IsTrue(pass.Run(model));

        Assert.AreEqual("MatMul", model.Graph.Node.Single(n => n.Name == excluded).OpType);
        Assert.AreEqual(CountWeightMatMuls(s_original) - 1, pass.LastSummary!.QuantizedMatMuls);
        Assert.AreEqual(1, CountWeightMatMuls(model));
    }

    private static int CountWeightMatMuls(ModelProto model) => model.Graph.Node.Count(n => n.OpType == "MatMul" && IsWeightMatMul(model, n));

    private static bool IsWeightMatMul(ModelProto model, NodeProto node) =>
        model.Graph.Initializer.Any(i => i.Name == node.Input[1] && i.Dims.Count == 2 && i.DataType == (int)TensorProto.Types.DataType.Float);

    private static List<float[]> Embed(string modelPath, IReadOnlyList<string> sentences) => SentenceEmbeddings.Embed(modelPath, ModelPaths.MiniLmVocab, sentences);
}
