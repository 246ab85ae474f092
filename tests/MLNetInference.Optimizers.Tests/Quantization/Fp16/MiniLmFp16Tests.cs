using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetInference.Models;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Optimizers.Quantization.Fp16;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Tests.Quantization.Fp16;

[TestClass]
public sealed class MiniLmFp16Tests
{
    private static string s_directory = string.Empty;
    private static string s_fp16Path = string.Empty;
    private static Fp16Summary s_summary = null!;

    [ClassInitialize]
    public static void ConvertOnce(TestContext context)
    {
        _ = context;
        s_directory = Directory.CreateTempSubdirectory("minilm-fp16-").FullName;
        s_fp16Path = Path.Combine(s_directory, "model.fp16.onnx");
        var model = OnnxModelIO.Load(ModelPaths.MiniLmModel);
        var pass = new Fp16ConversionPass();
        Assert.IsTrue(pass.Run(model));
        s_summary = pass.LastSummary!;
        OnnxModelIO.Save(model, s_fp16Path);
    }

    [ClassCleanup]
    public static void DeleteFiles() => Directory.Delete(s_directory, recursive: true);

    [TestMethod]
    public void Convert_MiniLm_FileIsAboutHalfTheSize()
    {
        var original = new FileInfo(ModelPaths.MiniLmModel).Length;
        var converted = new FileInfo(s_fp16Path).Length;

        Console.WriteLine($"MiniLM fp16: fp32 {original} bytes, fp16 {converted} bytes ({(double)converted / original:P1})");
        Assert.IsLessThan(original * 0.52, converted, $"fp32 {original} bytes, fp16 {converted} bytes");
        Assert.IsGreaterThan(original * 0.45, converted, $"fp32 {original} bytes, fp16 {converted} bytes");
    }

    [TestMethod]
    public void Convert_MiniLm_LoadsInOnnxRuntimeCpuWithFloatOutputs()
    {
        using var original = new InferenceSession(ModelPaths.MiniLmModel);
        using var converted = new InferenceSession(s_fp16Path);

        CollectionAssert.AreEquivalent(original.InputNames.ToList(), converted.InputNames.ToList());
        CollectionAssert.AreEquivalent(original.OutputNames.ToList(), converted.OutputNames.ToList());
        foreach (var output in converted.OutputMetadata)
        {
            Assert.AreEqual(TensorElementType.Float, output.Value.ElementDataType, output.Key);
        }
    }

    [TestMethod]
    public void Convert_MiniLm_LastHiddenStateCosineAtLeast0999()
    {
        var report = ModelVerifier.Compare(File.ReadAllBytes(ModelPaths.MiniLmModel), File.ReadAllBytes(s_fp16Path));

        var hidden = report.Outputs.Single(o => o.Name == "last_hidden_state");
        Assert.IsNull(hidden.Problem, hidden.Problem);
        Assert.IsGreaterThanOrEqualTo(0.999, hidden.MeanCosine, $"mean cosine {hidden.MeanCosine:F6}, min {hidden.MinCosine:F6}, max abs diff {hidden.MaxAbsDiff:G4}");
        Assert.IsGreaterThan(0.0, hidden.MaxAbsDiff, "fp16 weights give fp32's output exactly; were they converted?");
        Console.WriteLine($"MiniLM fp16: {s_summary.ConvertedInitializers} initializers, mean cosine {hidden.MeanCosine:F6}, min {hidden.MinCosine:F6}, max abs diff {hidden.MaxAbsDiff:G4}");
    }

    [TestMethod]
    public void Convert_MiniLm_EveryLargeFloatInitializerIsFp16()
    {
        var model = OnnxModelIO.Load(s_fp16Path);

        Assert.IsGreaterThan(50, s_summary.ConvertedInitializers);
        Assert.IsFalse(model.Graph.Initializer.Any(t => t.DataType == (int)TensorProto.Types.DataType.Float && t.Dims.Aggregate(1L, (a, d) => a * d) >= 16), string.Join(", ", s_summary.Kept));
        Assert.AreEqual(s_summary.ConvertedInitializers, model.Graph.Node.Count(n => n.OpType == "Cast" && n.Name.EndsWith("_CastToFloat", StringComparison.Ordinal)));
    }
}
