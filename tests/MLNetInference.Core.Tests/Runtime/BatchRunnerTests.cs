using MLNetInference.Core;
using MLNetInference.Models;
using MLNetInference.Core.Runtime;
using MLNetInference.Tests.Shared;

namespace MLNetInference.Core.Tests.Runtime;

[TestClass]
public sealed class BatchRunnerTests
{
    private static readonly int[] MixedLengths = [1, 128, 7, 2, 64, 19, 33, 5, 100, 12];

    [TestMethod]
    public void Run_MiniLmMixedLengths_EqualsPerRowRawOrt()
    {
        var runner = new BatchRunner(TestModels.MiniLm, new BatchRunnerOptions { OutputNames = ["last_hidden_state"] });
        var rows = TestModels.TextRows(runner, MixedLengths);

        using var result = runner.Run(rows);

        Assert.AreEqual(MixedLengths.Length, result.RowCount);
        Assert.AreEqual(1, result.RunCount, "all rows should run in one call");
        for (var r = 0; r < MixedLengths.Length; r++)
        {
            var ids = (long[])rows[(r * runner.InputCount) + runner.IndexOfInput("input_ids")].Values;
            var expected = RawOrt.RunText(TestModels.MiniLm.Session, ids);
            var actual = result.GetRowArray<float>(0, r);
            CollectionAssert.AreEqual(new[] { MixedLengths[r], 384 }, result.GetRowShape(0, r), $"row {r} shape");
            Assert.IsLessThanOrEqualTo(1e-4f, TestModels.MaxAbsDiff(expected, actual), $"row {r} (length {MixedLengths[r]})");
        }
    }

    [TestMethod]
    public void Run_MoreRowsThanMaxBatch_SplitsIntoSeveralCallsWithSameResults()
    {
        var big = new BatchRunner(TestModels.MiniLm, new BatchRunnerOptions { OutputNames = ["last_hidden_state"] });
        var small = new BatchRunner(TestModels.MiniLm, new BatchRunnerOptions { OutputNames = ["last_hidden_state"], MaxBatchSize = 3 });
        int[] lengths = [4, 9, 2, 11, 6, 3, 8];
        var rows = TestModels.TextRows(big, lengths);

        using var one = big.Run(rows);
        using var several = small.Run(rows);

        Assert.AreEqual(3, several.RunCount);
        for (var r = 0; r < lengths.Length; r++)
        {
            Assert.IsLessThanOrEqualTo(1e-4f, TestModels.MaxAbsDiff(one.GetRowArray<float>(0, r), several.GetRowArray<float>(0, r)), $"row {r}");
        }
    }

    [TestMethod]
    public void Run_EightThreadsSharingOneRunner_GetIdenticalResults()
    {
        var runner = new BatchRunner(TestModels.MiniLm, new BatchRunnerOptions { OutputNames = ["last_hidden_state"] });
        int[] lengths = [3, 17, 9, 25];
        var rows = TestModels.TextRows(runner, lengths);
        float[][] reference;
        using (var single = runner.Run(rows))
        {
            reference = [.. Enumerable.Range(0, lengths.Length).Select(r => single.GetRowArray<float>(0, r))];
        }

        var failures = 0;
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            for (var repeat = 0; repeat < 3; repeat++)
            {
                using var result = runner.Run(rows);
                for (var r = 0; r < lengths.Length; r++)
                {
                    if (TestModels.MaxAbsDiff(reference[r], result.GetRowArray<float>(0, r)) > 1e-5f)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            }
        });

        Assert.AreEqual(0, failures);
    }

    [TestMethod]
    public void Run_ResNet18FixedBatch_RewritesBatchAndEqualsPerRowRawOrt()
    {
        using var model = new OnnxSessionFactory().Create(ModelPaths.ResNet18Model, new OnnxSessionOptions { IntraOpThreads = 2 });
        using var original = new OnnxSessionFactory().Create(ModelPaths.ResNet18Model, new OnnxSessionOptions { IntraOpThreads = 2, RewriteFixedBatch = false });
        Assert.AreEqual(BatchSupport.RewrittenFromFixed, model.BatchSupport, model.BatchSupportReason);
        Assert.AreEqual(BatchSupport.PerRow, original.BatchSupport);

        var runner = new BatchRunner(model);
        var random = new Random(7);
        var images = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, 3 * 224 * 224).Select(_ => (float)random.NextDouble()).ToArray()).ToArray();
        var rows = images.Select(image => new RowTensor(image)).ToArray();

        using var result = runner.Run(rows);

        Assert.AreEqual(1, result.RunCount);
        for (var r = 0; r < images.Length; r++)
        {
            var expected = RawOrt.RunFloat(original.Session, "Input247", images[r], [1, 3, 224, 224]);
            Assert.IsLessThanOrEqualTo(1e-4f, TestModels.MaxAbsDiff(expected, result.GetRowArray<float>(0, r)), $"image {r}");
        }
    }

    [TestMethod]
    public void Run_FixedBatchThatCannotBeRewritten_RunsOneCallPerRow()
    {
        using var model = new OnnxSessionFactory().Create(FixtureModels.EnsureFile(FixtureModels.TinyFixedBatchUnsafeName));
        Assert.AreEqual(BatchSupport.PerRow, model.BatchSupport);
        StringAssert.Contains(model.BatchSupportReason, "Reshape");
        var runner = new BatchRunner(model);
        float[] a = [1, 2, 3, 4, 5, 6];
        float[] b = [-1, 0, 1, 10, 20, 30];

        using var result = runner.Run([new RowTensor(a), new RowTensor(b)]);

        Assert.AreEqual(2, result.RunCount);
        CollectionAssert.AreEqual(new float[] { 6, 15 }, result.GetRowArray<float>(0, 0));
        CollectionAssert.AreEqual(new float[] { 0, 60 }, result.GetRowArray<float>(0, 1));
    }

    [TestMethod]
    public void Run_Float16Rows_BatchEqualsOneRowAtATime()
    {
        // The zoo's float16 MLP: float16 [batch, 16] in, float16 [batch, 8] out.
        using var model = new OnnxSessionFactory().Create(ZooModels.Get("mlp-fp16").Model, new OnnxSessionOptions(), "mlp-fp16");
        var runner = new BatchRunner(model, new BatchRunnerOptions());
        var rows = Enumerable.Range(0, 3)
            .Select(r => RowTensor.FromArray(Enumerable.Range(0, 16).Select(i => (Microsoft.ML.OnnxRuntime.Float16)MathF.Sin((r * 16) + i)).ToArray(), 16))
            .ToArray();

        using var together = runner.Run(rows);

        Assert.AreEqual(1, together.RunCount);
        for (var r = 0; r < rows.Length; r++)
        {
            using var alone = runner.Run([rows[r]]);
            var expected = alone.GetRowArray<Microsoft.ML.OnnxRuntime.Float16>(0, 0);
            var actual = together.GetRowArray<Microsoft.ML.OnnxRuntime.Float16>(0, r);
            Assert.HasCount(8, actual);
            Assert.IsTrue(expected.Select(v => (float)v).SequenceEqual(actual.Select(v => (float)v)), $"row {r}");
            Assert.IsTrue(actual.Any(v => (float)v != 0f), $"row {r} is not all zeros");
        }
    }

    [TestMethod]
    public void Run_RowWithWrongElementType_ThrowsNamingTheInput()
    {
        var runner = new BatchRunner(TestModels.MiniLm);
        var rows = TestModels.TextRows(runner, [4]);
        rows[runner.IndexOfInput("attention_mask")] = new RowTensor(new float[] { 1, 1, 1, 1 });

        var ex = Assert.ThrowsExactly<InvalidInputException>(() => runner.Run(rows).Dispose());

        Assert.AreEqual("attention_mask", ex.InputName);
        StringAssert.Contains(ex.Message, "Int64");
    }

    [TestMethod]
    public void Run_InputsOfOneRowWithDifferentLengths_ThrowsNamingTheInput()
    {
        var runner = new BatchRunner(TestModels.MiniLm);
        var rows = TestModels.TextRows(runner, [6, 4]);
        rows[runner.InputCount + runner.IndexOfInput("token_type_ids")] = new RowTensor(new long[5]);

        var ex = Assert.ThrowsExactly<InvalidInputException>(() => runner.Run(rows).Dispose());

        Assert.AreEqual(1, ex.RowIndex);
        Assert.AreEqual("token_type_ids", ex.InputName);
    }

    [TestMethod]
    public void Run_RowLongerThanMaximum_ThrowsNamingTheInput()
    {
        var runner = new BatchRunner(TestModels.MiniLm, new BatchRunnerOptions { MaxSequenceLength = 16 });
        var rows = TestModels.TextRows(runner, [8, 17]);

        var ex = Assert.ThrowsExactly<InvalidInputException>(() => runner.Run(rows).Dispose());

        Assert.AreEqual(1, ex.RowIndex);
        StringAssert.Contains(ex.Message, "17");
    }

    [TestMethod]
    public void Run_FixedSizeInputWithWrongLength_ThrowsNamingTheInput()
    {
        using var model = new OnnxSessionFactory().Create(TestModels.SmallMlpPath);
        var runner = new BatchRunner(model);

        var ex = Assert.ThrowsExactly<InvalidInputException>(() => runner.Run([new RowTensor(new float[31])]).Dispose());

        Assert.AreEqual("features", ex.InputName);
        StringAssert.Contains(ex.Message, "32");
    }

    [TestMethod]
    public void Run_PaddedBatch_AttentionMaskPaddedWithZeros()
    {
        // The tiny encoder mixes every position into every other: padding that is not masked would change the result.
        using var model = new OnnxSessionFactory().Create(TestModels.TinyTextEncoderPath);
        var runner = new BatchRunner(model);
        var rows = TestModels.TextRows(runner, [3, 9], vocabulary: FixtureModels.TextEncoderVocabularySize);
        using var alone = runner.Run(rows.AsSpan(0, runner.InputCount));

        using var together = runner.Run(rows);

        var pooled = runner.IndexOfOutput("pooled");
        Assert.IsLessThanOrEqualTo(1e-5f, TestModels.MaxAbsDiff(alone.GetRowArray<float>(pooled, 0), together.GetRowArray<float>(pooled, 0)));
        var hidden = runner.IndexOfOutput("last_hidden_state");
        CollectionAssert.AreEqual(new[] { 3, FixtureModels.TextEncoderHiddenSize }, together.GetRowShape(hidden, 0));
    }

    [TestMethod]
    public void Run_AfterTheModelWasDisposed_ThrowsObjectDisposedInsteadOfTouchingTheSession()
    {
        var model = new OnnxSessionFactory().Create(TestModels.SmallMlpPath);
        var runner = new BatchRunner(model);
        model.Dispose();

        Assert.ThrowsExactly<ObjectDisposedException>(() => runner.Run([new RowTensor(new float[32])]).Dispose());
    }

    [TestMethod]
    public void Run_CancelledToken_ThrowsOperationCanceled()
    {
        var runner = new BatchRunner(TestModels.MiniLm);
        var rows = TestModels.TextRows(runner, [5, 5]);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.ThrowsExactly<OperationCanceledException>(() => runner.Run(rows, cts.Token).Dispose());
    }
}
