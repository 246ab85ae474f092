using MLNetInference.Core;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Models;
using MLNetInference.Core.Runtime;
using MLNetInference.Pipeline.Scoring;
using MLNetInference.Tests.Shared;
using MLNetInference.Pipeline.Serialization;

namespace MLNetInference.Pipeline.Tests.Scoring;

[TestClass]
public sealed class OnnxBatchScoringEstimatorTests
{
    private const int Hidden = FixtureModels.TextEncoderHiddenSize;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Transform_VariableLengthRows_MatchesOneRowAtATimeInInputOrder()
    {
        var ml = new MLContext(seed: 1);
        var rows = TextRows(50);
        var data = ml.Data.LoadFromEnumerable(rows);
        using var transformer = ml.Transforms.ScoreOnnxBatched(new OnnxBatchScoringOptions { ModelPath = TestModels.TinyTextEncoderPath, BatchSize = 4 }).Fit(data);

        var scored = ml.Data.CreateEnumerable<EncoderOutput>(transformer.Transform(data), reuseRowObject: false).ToList();

        Assert.HasCount(rows.Count, scored);
        using var model = new OnnxSessionFactory().Create(TestModels.TinyTextEncoderPath);
        var single = new BatchRunner(model);
        for (var r = 0; r < rows.Count; r++)
        {
            using var expected = single.Run([new RowTensor(rows[r].input_ids), new RowTensor(rows[r].attention_mask), new RowTensor(rows[r].token_type_ids)]);
            var want = expected.GetRowArray<float>(single.IndexOfOutput("pooled"), 0);
            Assert.IsLessThanOrEqualTo(1e-5f * (1 + want.Max(Math.Abs)), TestModels.MaxAbsDiff(want, scored[r].pooled), $"row {r}: {string.Join(",", want)} vs {string.Join(",", scored[r].pooled)}");
            Assert.HasCount(rows[r].input_ids.Length * Hidden, scored[r].last_hidden_state, $"row {r} is un-padded");
        }
    }

    [TestMethod]
    public void GetOutputSchema_TextEncoder_DescribesVariableAndFixedOutputs()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TextRows(2));
        using var transformer = ml.Transforms.ScoreOnnxBatched(TestModels.TinyTextEncoderPath).Fit(data);

        var schema = transformer.GetOutputSchema(data.Schema);

        var hidden = (VectorDataViewType)schema["last_hidden_state"].Type;
        Assert.AreEqual(NumberDataViewType.Single, hidden.ItemType);
        CollectionAssert.AreEqual(new[] { 0, Hidden }, hidden.Dimensions.ToArray());
        var pooled = (VectorDataViewType)schema["pooled"].Type;
        Assert.AreEqual(Hidden, pooled.Size);
        Assert.IsNotNull(schema.GetColumnOrNull("input_ids"), "input columns pass through");
    }

    [TestMethod]
    public void Fit_MissingColumn_ThrowsNamingTheColumn()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new IdsOnly { input_ids = [101, 7, 102], attention_mask = [1, 1, 1] } });

        var ex = Assert.ThrowsExactly<InvalidInputException>(() => ml.Transforms.ScoreOnnxBatched(TestModels.TinyTextEncoderPath).Fit(data));

        Assert.AreEqual("token_type_ids", ex.InputName);
    }

    [TestMethod]
    public void Fit_TextColumnForTokenInput_ThrowsSuggestingTokenizer()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new TextInsteadOfIds { input_ids = "hello", attention_mask = [1], token_type_ids = [0] } });

        var ex = Assert.ThrowsExactly<InvalidInputException>(() => ml.Transforms.ScoreOnnxBatched(TestModels.TinyTextEncoderPath).Fit(data));

        Assert.AreEqual("input_ids", ex.InputName);
        StringAssert.Contains(ex.Message, "TokenizeForBert");
    }

    [TestMethod]
    public void Fit_WrongItemType_ThrowsNamingTheColumn()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new FloatIds { input_ids = [1f], attention_mask = [1], token_type_ids = [0] } });

        var ex = Assert.ThrowsExactly<InvalidInputException>(() => ml.Transforms.ScoreOnnxBatched(TestModels.TinyTextEncoderPath).Fit(data));

        Assert.AreEqual("input_ids", ex.InputName);
        StringAssert.Contains(ex.Message, "Int64");
    }

    [TestMethod]
    public void Fit_VectorOfWrongSize_ThrowsNamingTheColumn()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new ShortFeatures { features = new float[31] } });

        var ex = Assert.ThrowsExactly<InvalidInputException>(() => ml.Transforms.ScoreOnnxBatched(TestModels.SmallMlpPath).Fit(data));

        Assert.AreEqual("features", ex.InputName);
        StringAssert.Contains(ex.Message, "32");
    }

    [TestMethod]
    public void Transform_EmptyTokenRow_ThrowsNamingTheColumnAndRow()
    {
        var ml = new MLContext(seed: 1);
        var rows = TextRows(5);
        rows[3] = new EncoderInput { input_ids = [], attention_mask = [], token_type_ids = [] };
        var data = ml.Data.LoadFromEnumerable(rows);
        using var transformer = ml.Transforms.ScoreOnnxBatched(TestModels.TinyTextEncoderPath).Fit(data);

        var ex = Assert.ThrowsExactly<InvalidInputException>(() => ml.Data.CreateEnumerable<EncoderOutput>(transformer.Transform(data), reuseRowObject: false).ToList());

        StringAssert.Contains(ex.Message, "Row 3");
    }

    [TestMethod]
    public void PredictionEngine_SmallMlp_MatchesBatchedTransform()
    {
        var ml = new MLContext(seed: 1);
        var inputs = MlpRows(20);
        var data = ml.Data.LoadFromEnumerable(inputs);
        using var transformer = ml.Transforms.ScoreOnnxBatched(TestModels.SmallMlpPath).Fit(data);
        var batched = ml.Data.CreateEnumerable<MlpOutput>(transformer.Transform(data), reuseRowObject: false).ToList();

        using var engine = ml.Model.CreatePredictionEngine<MlpInput, MlpOutput>(transformer);

        for (var r = 0; r < inputs.Length; r++)
        {
            var predicted = engine.Predict(inputs[r]);
            CollectionAssert.AreEqual(batched[r].scores, predicted.scores, $"row {r}");
        }
    }

    [TestMethod]
    public void Transform_MappedColumnNames_ReadsAndWritesTheMappedColumns()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(MlpRows(3).Select(r => new RenamedInput { Features = r.features }));
        var options = new OnnxBatchScoringOptions { ModelPath = TestModels.SmallMlpPath };
        options.InputColumns["features"] = "Features";
        options.OutputColumns["scores"] = "Score";
        using var transformer = ml.Transforms.ScoreOnnxBatched(options).Fit(data);

        var scored = transformer.Transform(data);

        Assert.IsNotNull(scored.Schema.GetColumnOrNull("Score"));
        Assert.IsNull(scored.Schema.GetColumnOrNull("scores"));
        Assert.HasCount(3, scored.GetColumn<float[]>("Score").ToList());
    }

    [TestMethod]
    public void SaveAndLoad_FreshContext_RestoresBatchedScorerWithSameOutputs()
    {
        var ml = new MLContext(seed: 1);
        var inputs = MlpRows(10);
        var data = ml.Data.LoadFromEnumerable(inputs);
        using var transformer = ml.Transforms.ScoreOnnxBatched(new OnnxBatchScoringOptions { ModelPath = TestModels.SmallMlpPath, BatchSize = 3 }).Fit(data);
        var expected = ml.Data.CreateEnumerable<MlpOutput>(transformer.Transform(data), reuseRowObject: false).ToList();
        var path = Path.Combine(TestContext.TestRunDirectory ?? Path.GetTempPath(), $"mlp-{Guid.NewGuid():N}.zip");

        BatchedModel.Save(ml, transformer, data.Schema, path);
        var fresh = new MLContext(seed: 2);
        var loaded = BatchedModel.Load(fresh, path, out var schema);

        var scorer = loaded as OnnxBatchScoringTransformer ?? ((IEnumerable<ITransformer>)loaded).OfType<OnnxBatchScoringTransformer>().Single();
        Assert.AreEqual(3, scorer.Runner.MaxBatchSize);
        Assert.IsNotNull(schema.GetColumnOrNull("features"));
        var actual = fresh.Data.CreateEnumerable<MlpOutput>(loaded.Transform(fresh.Data.LoadFromEnumerable(inputs)), reuseRowObject: false).ToList();
        for (var r = 0; r < inputs.Length; r++)
        {
            CollectionAssert.AreEqual(expected[r].scores, actual[r].scores, $"row {r}");
        }

        scorer.Dispose();
    }

    [TestMethod]
    public void Save_StockMLNetLoad_RunsTheStockOnnxTransformerWithSameOutputs()
    {
        var ml = new MLContext(seed: 1);
        var inputs = MlpRows(4);
        var data = ml.Data.LoadFromEnumerable(inputs);
        using var transformer = ml.Transforms.ScoreOnnxBatched(TestModels.SmallMlpPath).Fit(data);
        var expected = ml.Data.CreateEnumerable<MlpOutput>(transformer.Transform(data), reuseRowObject: false).ToList();
        var path = Path.Combine(TestContext.TestRunDirectory ?? Path.GetTempPath(), $"mlp-stock-{Guid.NewGuid():N}.zip");
        ml.Model.Save(transformer, data.Schema, path);

        var stockContext = new MLContext(seed: 3);
        var stock = stockContext.Model.Load(path, out _);

        Assert.IsNotInstanceOfType<OnnxBatchScoringTransformer>(stock);
        var actual = stockContext.Data.CreateEnumerable<MlpOutput>(stock.Transform(stockContext.Data.LoadFromEnumerable(inputs)), reuseRowObject: false).ToList();
        for (var r = 0; r < inputs.Length; r++)
        {
            Assert.IsLessThanOrEqualTo(1e-5f, TestModels.MaxAbsDiff(expected[r].scores, actual[r].scores), $"row {r}");
        }
    }

    [TestMethod]
    public void Fit_WithInt8Recipe_ScoresWithTheQuantizedModelCloseToFp32()
    {
        var ml = new MLContext(seed: 1);
        var inputs = MlpRows(16);
        var data = ml.Data.LoadFromEnumerable(inputs);
        using var fp32 = ml.Transforms.ScoreOnnxBatched(TestModels.SmallMlpPath).Fit(data);
        using var int8 = ml.Transforms.ScoreOnnxBatched(new OnnxBatchScoringOptions { ModelPath = TestModels.SmallMlpPath, Recipe = "fuse+int8-dynamic" }).Fit(data);

        var expected = ml.Data.CreateEnumerable<MlpOutput>(fp32.Transform(data), reuseRowObject: false).ToList();
        var actual = ml.Data.CreateEnumerable<MlpOutput>(int8.Transform(data), reuseRowObject: false).ToList();

        Assert.IsNotNull(int8.Optimization);
        Assert.IsTrue(MLNetInference.Core.Onnx.OnnxModelIO.Parse(int8.Optimization.Model).Graph.Node.Any(n => n.OpType == "DynamicQuantizeMatMul"));
        var worst = 0f;
        var differs = false;
        for (var r = 0; r < inputs.Length; r++)
        {
            worst = Math.Max(worst, TestModels.MaxAbsDiff(expected[r].scores, actual[r].scores));
            differs |= !expected[r].scores.SequenceEqual(actual[r].scores);
        }

        Assert.IsTrue(differs, "the quantized model should not be bit-identical to fp32");
        Assert.IsLessThanOrEqualTo(0.05f, worst);
    }

    private static List<EncoderInput> TextRows(int count)
    {
        var rows = new List<EncoderInput>();
        for (var r = 0; r < count; r++)
        {
            var length = 1 + ((r * 7) % 23);
            rows.Add(new EncoderInput
            {
                input_ids = TestModels.TokenIds(length, r, FixtureModels.TextEncoderVocabularySize),
                attention_mask = Enumerable.Repeat(1L, length).ToArray(),
                token_type_ids = new long[length],
            });
        }

        return rows;
    }

    private static MlpInput[] MlpRows(int count)
    {
        var random = new Random(5);
        return [.. Enumerable.Range(0, count).Select(_ => new MlpInput { features = [.. Enumerable.Range(0, FixtureModels.SmallMlpInputSize).Select(_ => (float)random.NextDouble())] })];
    }

#pragma warning disable SA1300, IDE1006 // Column names follow the model's input and output names.
    public sealed class EncoderInput
    {
        [VectorType]
        public long[] input_ids { get; set; } = [];

        [VectorType]
        public long[] attention_mask { get; set; } = [];

        [VectorType]
        public long[] token_type_ids { get; set; } = [];
    }

    public sealed class EncoderOutput
    {
        [VectorType]
        public float[] last_hidden_state { get; set; } = [];

        [VectorType(Hidden)]
        public float[] pooled { get; set; } = [];
    }

    public sealed class IdsOnly
    {
        [VectorType]
        public long[] input_ids { get; set; } = [];

        [VectorType]
        public long[] attention_mask { get; set; } = [];
    }

    public sealed class TextInsteadOfIds
    {
        public string input_ids { get; set; } = string.Empty;

        [VectorType]
        public long[] attention_mask { get; set; } = [];

        [VectorType]
        public long[] token_type_ids { get; set; } = [];
    }

    public sealed class FloatIds
    {
        [VectorType]
        public float[] input_ids { get; set; } = [];

        [VectorType]
        public long[] attention_mask { get; set; } = [];

        [VectorType]
        public long[] token_type_ids { get; set; } = [];
    }

    public sealed class ShortFeatures
    {
        [VectorType(31)]
        public float[] features { get; set; } = [];
    }

    public sealed class MlpInput
    {
        [VectorType(FixtureModels.SmallMlpInputSize)]
        public float[] features { get; set; } = [];
    }

    public sealed class RenamedInput
    {
        [VectorType(FixtureModels.SmallMlpInputSize)]
        public float[] Features { get; set; } = [];
    }

    public sealed class MlpOutput
    {
        [VectorType(FixtureModels.SmallMlpOutputSize)]
        public float[] scores { get; set; } = [];
    }
#pragma warning restore SA1300, IDE1006
}
