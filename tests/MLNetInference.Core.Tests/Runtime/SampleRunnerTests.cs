using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetInference.Core;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Runtime;
using MLNetInference.Models;

namespace MLNetInference.Core.Tests.Runtime;

[TestClass]
public sealed class SampleRunnerTests
{
    private const int Hidden = 8;

    [TestMethod]
    public void Run_FixedBatchSums_ReturnsValuesAndShape()
    {
        using var session = new InferenceSession(FixtureModels.TinyFixedBatchUnsafe());
        var runner = new SampleRunner(session);

        using var result = runner.Run(Sample("x", new SampleTensor(new float[] { 1, 2, 3, 4, 5, 6 }, [1, 6])));

        CollectionAssert.AreEqual(new[] { "y" }, result.OutputNames.ToArray());
        CollectionAssert.AreEqual(new long[] { 1, 2 }, result.GetShape(0));
        Assert.AreEqual(TensorElementType.Float, result.GetElementType(0));
        CollectionAssert.AreEqual(new float[] { 6, 15 }, result.ToFloatArray(0));
        CollectionAssert.AreEqual(new float[] { 6, 15 }, result.GetValues<float>(0).ToArray());
        Assert.IsTrue(result.TryToDoubleArray(0, out var widened));
        CollectionAssert.AreEqual(new double[] { 6, 15 }, widened);
    }

    [TestMethod]
    public void Run_TextEncoderSample_MatchesTheSessionRunByHand()
    {
        using var session = new InferenceSession(FixtureModels.TinyTextEncoder());
        var sample = TextSample(batch: 2, sequence: 5, seed: 3);
        var runner = new SampleRunner(session);

        using var result = runner.Run(sample);

        var expected = RunByHand(session, sample);
        Assert.AreEqual(expected.Count, result.Count);
        for (var o = 0; o < result.Count; o++)
        {
            CollectionAssert.AreEqual(expected[result.OutputNames[o]], result.ToFloatArray(o), $"output '{result.OutputNames[o]}'");
        }

        CollectionAssert.AreEqual(new long[] { 2, 5, Hidden }, result.GetShape(result.IndexOf("last_hidden_state")));
        CollectionAssert.AreEqual(new long[] { 2, Hidden }, result.GetShape(result.IndexOf("pooled")));
    }

    [TestMethod]
    public void Run_OutputsNamed_ReturnsOnlyThoseInThatOrder()
    {
        using var session = new InferenceSession(FixtureModels.TinyTextEncoder());
        var runner = new SampleRunner(session, ["pooled"]);

        using var result = runner.Run(TextSample(batch: 1, sequence: 3, seed: 1));

        CollectionAssert.AreEqual(new[] { "pooled" }, runner.OutputNames.ToArray());
        Assert.AreEqual(1, result.Count);
        Assert.AreEqual(-1, result.IndexOf("last_hidden_state"));
    }

    [TestMethod]
    public void Run_IntermediateTensorAddedAsGraphOutput_IsFetched()
    {
        // As the calibrator does: expose an activation as an extra output, then ask for it by name.
        var model = OnnxModelIO.Parse(FixtureModels.TinyTextEncoder());
        model.Graph.Output.Add(new ValueInfoProto
        {
            Name = "context",
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
        });
        using var session = new InferenceSession(OnnxModelIO.ToBytes(model));
        var runner = new SampleRunner(session, ["context", "pooled"]);

        using var result = runner.Run(TextSample(batch: 2, sequence: 4, seed: 2));

        CollectionAssert.AreEqual(new long[] { 2, 1, Hidden }, result.GetShape(0), "ReduceSum over the sequence with keepdims");
        var context = result.GetValues<float>(0);
        var pooled = result.GetValues<float>(1);

        // pooled = Σ (masked + 0.5 context) over 4 unmasked tokens = context + 4 * 0.5 * context = 3 * context.
        for (var i = 0; i < pooled.Length; i++)
        {
            Assert.AreEqual(3 * context[i], pooled[i], 1e-4f, $"element {i}");
        }
    }

    [TestMethod]
    public void Run_SampleWithEntriesTheModelDoesNotTake_IgnoresThem()
    {
        using var session = new InferenceSession(FixtureModels.TinyFixedBatchUnsafe());
        var runner = new SampleRunner(session);
        var sample = new Dictionary<string, SampleTensor>
        {
            ["x"] = new SampleTensor(new float[6], [1, 6]),
            ["not_an_input"] = new SampleTensor(new long[2], [2]),
        };

        using var result = runner.Run(sample);

        CollectionAssert.AreEqual(new float[] { 0, 0 }, result.ToFloatArray(0));
    }

    [TestMethod]
    public void Run_SampleLacksAnInput_ThrowsInvalidInputNamingIt()
    {
        using var session = new InferenceSession(FixtureModels.TinyTextEncoder());
        var runner = new SampleRunner(session, modelName: "tiny");
        var sample = new Dictionary<string, SampleTensor>(TextSample(batch: 1, sequence: 3, seed: 1));
        sample.Remove("attention_mask");

        var ex = Assert.ThrowsExactly<InvalidInputException>(() => runner.Run(sample));

        Assert.AreEqual("attention_mask", ex.InputName);
        StringAssert.Contains(ex.Message, "'tiny'");
    }

    [TestMethod]
    public void Run_DataNotMatchingShape_ThrowsArgumentExceptionNamingTheInput()
    {
        using var session = new InferenceSession(FixtureModels.TinyFixedBatchUnsafe());
        var runner = new SampleRunner(session);

        var ex = Assert.ThrowsExactly<ArgumentException>(() => runner.Run(Sample("x", new SampleTensor(new float[5], [1, 6]))));

        StringAssert.Contains(ex.Message, "'x'");
        StringAssert.Contains(ex.Message, "needs 6");
    }

    [TestMethod]
    public void Run_WrongElementType_ThrowsInvalidInputBeforeRunning()
    {
        using var session = new InferenceSession(FixtureModels.TinyFixedBatchUnsafe());
        var runner = new SampleRunner(session);

        var ex = Assert.ThrowsExactly<InvalidInputException>(() => runner.Run(Sample("x", new SampleTensor(new double[6], [1, 6]))));

        Assert.AreEqual("x", ex.InputName);
        StringAssert.Contains(ex.Message, "Double");
        StringAssert.Contains(ex.Message, "Float");
    }

    [TestMethod]
    public void Run_UnsupportedArrayType_ThrowsArgumentException()
    {
        using var session = new InferenceSession(FixtureModels.TinyFixedBatchUnsafe());
        var runner = new SampleRunner(session);

        var ex = Assert.ThrowsExactly<ArgumentException>(() => runner.Run(Sample("x", new SampleTensor(new string[6], [1, 6]))));

        StringAssert.Contains(ex.Message, "String[]");
    }

    [TestMethod]
    public void Run_ShapeTheModelRejects_ThrowsInferenceExceptionNamingTheModel()
    {
        using var session = new InferenceSession(FixtureModels.TinyFixedBatchUnsafe());
        var runner = new SampleRunner(session, modelName: "pinned");

        var ex = Assert.ThrowsExactly<InferenceException>(() => runner.Run(Sample("x", new SampleTensor(new float[12], [2, 6]))));

        Assert.AreEqual("pinned", ex.ModelName);
        StringAssert.Contains(ex.Message, "'pinned'");
        Assert.IsInstanceOfType<OnnxRuntimeException>(ex.InnerException);
    }

    [TestMethod]
    public void Constructor_UnknownOutputName_ThrowsArgumentExceptionListingTheOutputs()
    {
        using var session = new InferenceSession(FixtureModels.TinyTextEncoder());

        var ex = Assert.ThrowsExactly<ArgumentException>(() => new SampleRunner(session, ["context"]));

        StringAssert.Contains(ex.Message, "'context'");
        StringAssert.Contains(ex.Message, "pooled");
    }

    [TestMethod]
    public void Run_OneBindingTwice_GivesTheSameOutputs()
    {
        using var session = new InferenceSession(FixtureModels.SmallMlp());
        var runner = new SampleRunner(session);
        var features = new float[3 * 32];
        for (var i = 0; i < features.Length; i++)
        {
            features[i] = (i % 7) - 3;
        }

        using var inputs = runner.Bind(Sample("features", new SampleTensor(features, [3, 32])));
        using var first = runner.Run(inputs);
        using var second = runner.Run(inputs);

        CollectionAssert.AreEqual(new long[] { 3, 4 }, first.GetShape(0));
        CollectionAssert.AreEqual(first.ToFloatArray(0), second.ToFloatArray(0));
    }

    [TestMethod]
    public void Run_BindingOfAnotherRunner_ThrowsArgumentException()
    {
        using var session = new InferenceSession(FixtureModels.SmallMlp());
        var one = new SampleRunner(session);
        var other = new SampleRunner(session);
        using var inputs = one.Bind(Sample("features", new SampleTensor(new float[32], [1, 32])));

        Assert.ThrowsExactly<ArgumentException>(() => other.Run(inputs));
    }

    [TestMethod]
    public void Run_DisposedBinding_ThrowsObjectDisposed()
    {
        using var session = new InferenceSession(FixtureModels.SmallMlp());
        var runner = new SampleRunner(session);
        var inputs = runner.Bind(Sample("features", new SampleTensor(new float[32], [1, 32])));
        inputs.Dispose();

        Assert.ThrowsExactly<ObjectDisposedException>(() => runner.Run(inputs));
    }

    [TestMethod]
    public void Run_CancelledToken_ThrowsOperationCanceled()
    {
        using var session = new InferenceSession(FixtureModels.SmallMlp());
        var runner = new SampleRunner(session);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        Assert.ThrowsExactly<OperationCanceledException>(() => runner.Run(Sample("features", new SampleTensor(new float[32], [1, 32])), cancellation.Token));
    }

    [TestMethod]
    public void Run_OnnxModelSession_UsesItsNameAndFailsCleanlyOnceDisposed()
    {
        var model = new OnnxSessionFactory().Create(FixtureModels.SmallMlp(), modelName: "mlp");
        var runner = new SampleRunner(model);
        var sample = Sample("features", new SampleTensor(new float[32], [1, 32]));
        using (var result = runner.Run(sample))
        {
            Assert.AreEqual("mlp", runner.ModelName);
            CollectionAssert.AreEqual(new long[] { 1, 4 }, result.GetShape(0));
        }

        model.Dispose();

        Assert.ThrowsExactly<ObjectDisposedException>(() => runner.Run(sample));
    }

    [TestMethod]
    public void GetValues_OtherElementType_ThrowsInvalidOperationNamingTheOutput()
    {
        using var session = new InferenceSession(FixtureModels.SmallMlp());
        var runner = new SampleRunner(session);
        using var result = runner.Run(Sample("features", new SampleTensor(new float[32], [1, 32])));

        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => result.GetValues<long>(0).Length);

        StringAssert.Contains(ex.Message, "'scores'");
    }

    [TestMethod]
    public void GetShape_DisposedResult_ThrowsObjectDisposed()
    {
        using var session = new InferenceSession(FixtureModels.SmallMlp());
        var runner = new SampleRunner(session);
        var result = runner.Run(Sample("features", new SampleTensor(new float[32], [1, 32])));
        result.Dispose();

        Assert.ThrowsExactly<ObjectDisposedException>(() => result.GetShape(0));
    }

    private static Dictionary<string, SampleTensor> Sample(string name, SampleTensor tensor) =>
        new(StringComparer.Ordinal) { [name] = tensor };

    private static Dictionary<string, SampleTensor> TextSample(int batch, int sequence, int seed)
    {
        var random = new Random(seed);
        var ids = new long[batch * sequence];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = random.Next(1, FixtureModels.TextEncoderVocabularySize);
        }

        var mask = new long[ids.Length];
        mask.AsSpan().Fill(1);
        return new Dictionary<string, SampleTensor>(StringComparer.Ordinal)
        {
            ["input_ids"] = new SampleTensor(ids, [batch, sequence]),
            ["attention_mask"] = new SampleTensor(mask, [batch, sequence]),
            ["token_type_ids"] = new SampleTensor(new long[ids.Length], [batch, sequence]),
        };
    }

    /// <summary>The session run with ONNX Runtime's own API, as a reference.</summary>
    private static Dictionary<string, float[]> RunByHand(InferenceSession session, Dictionary<string, SampleTensor> sample)
    {
        var inputs = new Dictionary<string, OrtValue>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, tensor) in sample)
            {
                inputs[name] = OrtValue.CreateTensorValueFromMemory((long[])tensor.Data, tensor.Shape);
            }

            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, inputs, session.OutputNames);
            var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
            for (var o = 0; o < outputs.Count; o++)
            {
                result[session.OutputNames[o]] = outputs[o].GetTensorDataAsSpan<float>().ToArray();
            }

            return result;
        }
        finally
        {
            foreach (var value in inputs.Values)
            {
                value.Dispose();
            }
        }
    }
}
