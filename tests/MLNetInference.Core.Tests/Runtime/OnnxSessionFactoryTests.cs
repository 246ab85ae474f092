using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetInference.Models;
using MLNetInference.Core.Runtime;
using MLNetInference.Tests.Shared;

namespace MLNetInference.Core.Tests.Runtime;

[TestClass]
public sealed class OnnxSessionFactoryTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Create_MissingFile_ThrowsLoadExceptionNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-model.onnx");

        var ex = Assert.ThrowsExactly<OnnxModelLoadException>(() => new OnnxSessionFactory().Create(path));

        Assert.AreEqual(path, ex.ModelName);
        StringAssert.Contains(ex.Message, "does not exist");
    }

    [TestMethod]
    public void Create_ModelReadingExternalDataOutsideItsFolder_IsRefusedByOurChecksBeforeOnnxRuntime()
    {
        var folder = Path.Combine(TestContext.TestRunDirectory ?? Path.GetTempPath(), $"outside-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(folder, "model"));
        var model = MLNetInference.Core.Onnx.OnnxModelIO.Parse(FixtureModels.SmallMlp());
        var weights = model.Graph.Initializer[0];
        var size = weights.RawData.Length;
        File.WriteAllBytes(Path.Combine(folder, "outside.bin"), new byte[size]);
        weights.RawData = Google.Protobuf.ByteString.Empty;
        weights.FloatData.Clear();
        weights.DataLocation = MLNetInference.Core.Onnx.Proto.TensorProto.Types.DataLocation.External;
        weights.ExternalData.Add(new MLNetInference.Core.Onnx.Proto.StringStringEntryProto { Key = "location", Value = "../outside.bin" });
        var path = Path.Combine(folder, "model", "model.onnx");
        MLNetInference.Core.Onnx.OnnxModelIO.Save(model, path);

        var ex = Assert.ThrowsExactly<OnnxModelLoadException>(() => new OnnxSessionFactory().Create(path));

        Assert.IsInstanceOfType<MLNetInference.Core.Onnx.OnnxFormatException>(ex.InnerException, ex.ToString());
        StringAssert.Contains(ex.Message, "outside the model's folder");
    }

    [TestMethod]
    public void Create_CorruptFile_ThrowsLoadException()
    {
        var path = Path.Combine(TestContext.TestRunDirectory ?? Path.GetTempPath(), "corrupt.onnx");
        File.WriteAllBytes(path, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 37 % 251))]);

        var ex = Assert.ThrowsExactly<OnnxModelLoadException>(() => new OnnxSessionFactory().Create(path));

        StringAssert.Contains(ex.Message, "corrupt.onnx");
    }

    [TestMethod]
    public void Create_TruncatedModel_ThrowsLoadException()
    {
        var bytes = FixtureModels.SmallMlp();

        var ex = Assert.ThrowsExactly<OnnxModelLoadException>(() => new OnnxSessionFactory().Create(bytes[..(bytes.Length / 2)], modelName: "half-mlp"));

        StringAssert.Contains(ex.Message, "half-mlp");
    }

    [TestMethod]
    public void Create_EmptyBytes_ThrowsLoadException()
    {
        Assert.ThrowsExactly<OnnxModelLoadException>(() => new OnnxSessionFactory().Create([], modelName: "empty"));
    }

    [TestMethod]
    public void Create_MiniLm_ReportsSymbolicDimensionsAndTypes()
    {
        var metadata = TestModels.MiniLm.Metadata;

        var ids = metadata.FindInput("input_ids");
        Assert.IsNotNull(ids);
        Assert.AreEqual(TensorElementType.Int64, ids.ElementType);
        CollectionAssert.AreEqual(new[] { "batch", "sequence" }, ids.SymbolicDimensions.ToArray());
        var hidden = metadata.FindOutput("last_hidden_state");
        Assert.IsNotNull(hidden);
        Assert.AreEqual(384, hidden.Dimensions[2]);
        Assert.IsTrue(hidden.IsDynamic(1));
        Assert.AreEqual(BatchSupport.Dynamic, TestModels.MiniLm.BatchSupport);
    }

    [TestMethod]
    public void Create_CudaOnCpuOnlyRuntime_FallsBackToCpuWithWarning()
    {
        var logger = new ListLogger();

        using var model = new OnnxSessionFactory(logger).Create(TestModels.SmallMlpPath, new OnnxSessionOptions { ExecutionProvider = ExecutionProvider.Cuda });

        Assert.AreEqual(ExecutionProvider.Cpu, model.ExecutionProvider);
        Assert.IsTrue(logger.Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains("falling back to the CPU", StringComparison.Ordinal)), string.Join("\n", logger.Entries));
    }

    [TestMethod]
    public void Create_CudaRequiredWithoutFallback_ThrowsLoadException()
    {
        var ex = Assert.ThrowsExactly<OnnxModelLoadException>(() => new OnnxSessionFactory().Create(
            TestModels.SmallMlpPath,
            new OnnxSessionOptions { ExecutionProvider = ExecutionProvider.Cuda, AllowCpuFallback = false }));

        StringAssert.Contains(ex.Message, "Microsoft.ML.OnnxRuntime.Gpu");
    }

    [TestMethod]
    public void Create_WithCacheFile_WritesCacheThenLoadsFromIt()
    {
        var cache = Path.Combine(TestContext.TestRunDirectory ?? Path.GetTempPath(), $"cache-{Guid.NewGuid():N}", "mlp.optimized.onnx");
        var logger = new ListLogger();
        var options = new OnnxSessionOptions { OptimizedModelCachePath = cache };

        using (var first = new OnnxSessionFactory(logger).Create(TestModels.SmallMlpPath, options))
        {
            Assert.IsTrue(File.Exists(cache));
        }

        using var second = new OnnxSessionFactory(logger).Create(TestModels.SmallMlpPath, options);

        Assert.IsTrue(logger.Entries.Any(e => e.Message.Contains("optimized cache", StringComparison.Ordinal)));
        Assert.AreEqual("features", second.Metadata.Inputs[0].Name);
    }

    [TestMethod]
    public void Create_NegativeThreads_ThrowsArgumentOutOfRange()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new OnnxSessionFactory().Create(TestModels.SmallMlpPath, new OnnxSessionOptions { IntraOpThreads = -1 }));
    }
}
