using System.Text.Json;
using MLNetInference.Core.Runtime;
using MLNetInference.Models;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Tests.Verification;

[TestClass]
public sealed class ModelVerifierTests
{
    [TestMethod]
    public void Compare_SameModel_ZeroDiffFullCosineAndAgreement()
    {
        var bytes = FixtureModels.SmallMlp();

        var report = ModelVerifier.Compare(bytes, bytes);

        Assert.AreEqual(2, report.SampleCount);
        Assert.AreEqual("scores", report.Outputs.Single().Name);
        Assert.AreEqual(0d, report.MaxAbsDiff);
        Assert.AreEqual(1d, report.MinCosine, 1e-12);
        Assert.AreEqual(1d, report.Top1Agreement);
        Assert.IsTrue(report.IsWithin(0));
    }

    [TestMethod]
    public void Compare_ChangedBias_ReportsDiffAndLowerAgreement()
    {
        var original = TestModelBuilder.Chain().Bytes();
        var changed = TestModelBuilder.Chain().Build();
        changed.Graph.Initializer[0] = TensorData.FromFloat("bias", [4], [0.5f, 3f, 1f, -1f]);

        var report = ModelVerifier.Compare(original, OnnxModelIO.ToBytes(changed), new SampleInputOptions { SampleCount = 3, BatchSize = 8 });

        var output = report.Outputs.Single();
        Assert.AreEqual(3.5d, output.MaxAbsDiff, 1e-5, "bias moved from -0.5 to 3 and the input lies in [-1, 1]");
        Assert.IsLessThan(1d, output.MeanCosine);
        Assert.IsLessThan(1d, output.Top1Agreement);
        Assert.IsFalse(report.IsWithin(1e-3));
        CollectionAssert.AreEqual(new long[] { 8, 4 }, output.Shape.ToArray());
    }

    [TestMethod]
    public void Compare_OutputMissingInOptimized_ReportsProblem()
    {
        var original = TestModelBuilder.Chain().Bytes();
        var renamed = TestModelBuilder.Chain().Build();
        renamed.Graph.Node[2].Output[0] = "z";
        renamed.Graph.Output[0].Name = "z";

        var report = ModelVerifier.Compare(original, OnnxModelIO.ToBytes(renamed));

        Assert.IsFalse(report.AllCompared);
        StringAssert.Contains(report.Outputs.Single().Problem, "no output");
        Assert.IsFalse(report.IsWithin(double.MaxValue / 2));
    }

    [TestMethod]
    public void VerificationReport_SerializedToJson_CarriesTheNumbers()
    {
        var bytes = FixtureModels.TinyTextEncoder();

        var json = JsonSerializer.Serialize(ModelVerifier.Compare(bytes, bytes));

        using var document = JsonDocument.Parse(json);
        Assert.AreEqual(2, document.RootElement.GetProperty("Outputs").GetArrayLength());
        Assert.AreEqual(0d, document.RootElement.GetProperty("MaxAbsDiff").GetDouble());
        Assert.AreEqual(1d, document.RootElement.GetProperty("MinCosine").GetDouble(), 1e-9);
    }

    [TestMethod]
    public void Compare_SampleDataNotMatchingShape_ThrowsArgumentException()
    {
        var bytes = TestModelBuilder.Chain().Bytes();
        var sample = new Dictionary<string, SampleTensor> { ["x"] = new SampleTensor(new float[3], [1, 4]) };

        var ex = Assert.ThrowsExactly<ArgumentException>(() => ModelVerifier.Compare(bytes, bytes, [sample]));

        StringAssert.Contains(ex.Message, "'x'");
    }

    [TestMethod]
    public void Generate_TextEncoder_IdsInRangeMaskOnesTypeZeros()
    {
        var options = new SampleInputOptions { SampleCount = 3, BatchSize = 2, SequenceLength = 5, MinTokenId = 10, MaxTokenId = 20 };

        var samples = SampleInputGenerator.Generate(FixtureModels.TinyTextEncoder(), options);

        Assert.AreEqual(3, samples.Count);
        var sample = samples[0];
        CollectionAssert.AreEqual(new long[] { 2, 5 }, sample["input_ids"].Shape);
        var ids = (long[])sample["input_ids"].Data;
        Assert.IsTrue(ids.All(id => id is >= 10 and < 20), string.Join(",", ids));
        Assert.IsTrue(((long[])sample["attention_mask"].Data).All(m => m == 1));
        Assert.IsTrue(((long[])sample["token_type_ids"].Data).All(t => t == 0));
        CollectionAssert.AreNotEqual(ids, (long[])samples[1]["input_ids"].Data, "each sample draws its own ids");
    }

    [TestMethod]
    public void Generate_FixedBatchImage_KeepsFixedDims()
    {
        var samples = SampleInputGenerator.Generate(FixtureModels.TinyFixedBatchImage(), new SampleInputOptions { SampleCount = 1, BatchSize = 4 });

        var image = samples[0]["image"];
        CollectionAssert.AreEqual(new long[] { 1, 3, 8, 8 }, image.Shape);
        Assert.IsTrue(((float[])image.Data).All(v => v is >= -1f and <= 1f));
    }

    [TestMethod]
    public void Generate_StringInput_ThrowsNotSupported()
    {
        var model = TestModelBuilder.Chain().Build();
        model.Graph.Input.Add(TestModelBuilder.ValueInfo("text", TensorProto.Types.DataType.String, [1L]));

        var ex = Assert.ThrowsExactly<NotSupportedException>(() => SampleInputGenerator.Generate(model));

        StringAssert.Contains(ex.Message, "'text'");
    }
}
