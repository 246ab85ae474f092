using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Pipeline.Tests.Text;
using MLNetInference.Pipeline.Pooling;
using MLNetInference.Pipeline.Serialization;

namespace MLNetInference.Pipeline.Tests.Pooling;

[TestClass]
public sealed class MeanPoolingTransformerTests
{
    public sealed class TokenRow
    {
        [ColumnName("last_hidden_state")]
        [VectorType]
        public float[] TokenEmbeddings { get; set; } = [];

        [ColumnName("attention_mask")]
        [VectorType]
        public long[] AttentionMask { get; set; } = [];
    }

    public sealed class Int32MaskRow
    {
        [ColumnName("last_hidden_state")]
        [VectorType]
        public float[] TokenEmbeddings { get; set; } = [];

        [ColumnName("attention_mask")]
        [VectorType]
        public int[] AttentionMask { get; set; } = [];
    }

    public sealed class ScalarMaskRow
    {
        [ColumnName("last_hidden_state")]
        [VectorType]
        public float[] TokenEmbeddings { get; set; } = [];

        [ColumnName("attention_mask")]
        public long AttentionMask { get; set; }
    }

    public sealed class EmbeddingRow
    {
        [ColumnName("embedding")]
        [VectorType]
        public float[] Embedding { get; set; } = [];
    }

    // Two tokens of hidden size 3: mean (2, 3, 4), norm sqrt(29).
    private static readonly TokenRow s_tiny = new() { TokenEmbeddings = [1, 2, 3, 3, 4, 5], AttentionMask = [1, 1] };

    private static IDataView LoadWithDims(MLContext mlContext, params TokenRow[] rows)
    {
        var definition = SchemaDefinition.Create(typeof(TokenRow));
        definition["last_hidden_state"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 0, 3);
        return mlContext.Data.LoadFromEnumerable(rows, definition);
    }

    private static float[] PoolOne(MLContext mlContext, TokenRow row, bool normalize = true)
    {
        var data = LoadWithDims(mlContext, row);
        var transformer = mlContext.Transforms.MeanPoolAndNormalize(normalize: normalize).Fit(data);
        return mlContext.Data.CreateEnumerable<EmbeddingRow>(transformer.Transform(data), reuseRowObject: false).Single().Embedding;
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.HasCount(expected.Length, actual);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], actual[i], 1e-6f, $"index {i}");
        }
    }

    [TestMethod]
    public void Transform_TinyExample_EqualsHandComputedNormalizedMean()
    {
        float norm = MathF.Sqrt(29f);
        AssertClose([2 / norm, 3 / norm, 4 / norm], PoolOne(new MLContext(seed: 1), s_tiny));
    }

    [TestMethod]
    public void Transform_NormalizeOff_EqualsHandComputedMean()
    {
        AssertClose([2, 3, 4], PoolOne(new MLContext(seed: 1), s_tiny, normalize: false));
    }

    [TestMethod]
    public void Pool_OneRow_EqualsTheTransformersRow()
    {
        var mlContext = new MLContext(seed: 1);
        var transformer = mlContext.Transforms.MeanPoolAndNormalize().Fit(LoadWithDims(mlContext, s_tiny));
        var pooled = new float[3];

        transformer.Pool(s_tiny.TokenEmbeddings, s_tiny.AttentionMask, pooled);

        CollectionAssert.AreEqual(PoolOne(mlContext, s_tiny), pooled);
    }

    [TestMethod]
    public void Pool_EmbeddingsNotOnePerMaskEntry_ThrowsPoolingInputException()
    {
        var mlContext = new MLContext(seed: 1);
        var transformer = mlContext.Transforms.MeanPoolAndNormalize().Fit(LoadWithDims(mlContext, s_tiny));

        var error = Assert.ThrowsExactly<PoolingInputException>(() => transformer.Pool(s_tiny.TokenEmbeddings, [1L, 1L, 1L], new float[3]));

        Assert.AreEqual("last_hidden_state", error.TokenEmbeddingsColumnName);
        StringAssert.Contains(error.Message, "9 values were expected");
    }

    [TestMethod]
    public void Transform_PaddingPositions_DoNotChangeResult()
    {
        var mlContext = new MLContext(seed: 1);
        var padded = new TokenRow { TokenEmbeddings = [1, 2, 3, 3, 4, 5, 100, -50, 7, 9, 9, 9], AttentionMask = [1, 1, 0, 0] };
        AssertClose(PoolOne(mlContext, s_tiny), PoolOne(mlContext, padded));
        AssertClose(PoolOne(mlContext, s_tiny, normalize: false), PoolOne(mlContext, padded, normalize: false));
    }

    [TestMethod]
    public void GetOutputSchema_DimsWithUnknownSequence_OutputHasKnownHiddenSize()
    {
        var mlContext = new MLContext(seed: 1);
        var data = LoadWithDims(mlContext, s_tiny);
        var schema = mlContext.Transforms.MeanPoolAndNormalize().Fit(data).GetOutputSchema(data.Schema);
        var type = schema["embedding"].Type as VectorDataViewType;
        Assert.IsNotNull(type);
        Assert.AreEqual(NumberDataViewType.Single, type.ItemType);
        Assert.AreEqual(3, type.Size);

        var shape = mlContext.Transforms.MeanPoolAndNormalize().GetOutputSchema(TextTestData.ShapeOf<TokenRow>());
        var column = shape.Single(c => c.Name == "embedding");
        Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, column.Kind);
    }

    [TestMethod]
    public void Fit_UnknownHiddenSize_ThrowsUnlessOptionSet()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(new[] { s_tiny });
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Transforms.MeanPoolAndNormalize().Fit(data));
        StringAssert.Contains(ex.Message, "HiddenSize");

        var transformer = mlContext.Transforms.MeanPoolAndNormalize(new MeanPoolingOptions { HiddenSize = 3, Normalize = false }).Fit(data);
        var row = mlContext.Data.CreateEnumerable<EmbeddingRow>(transformer.Transform(data), reuseRowObject: false).Single();
        AssertClose([2, 3, 4], row.Embedding);
    }

    [TestMethod]
    public void Transform_Int32Mask_SameAsInt64Mask()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(new[] { new Int32MaskRow { TokenEmbeddings = [1, 2, 3, 3, 4, 5, 9, 9, 9], AttentionMask = [1, 1, 0] } });
        var transformer = mlContext.Transforms.MeanPoolAndNormalize(new MeanPoolingOptions { HiddenSize = 3 }).Fit(data);
        var row = mlContext.Data.CreateEnumerable<EmbeddingRow>(transformer.Transform(data), reuseRowObject: false).Single();
        AssertClose(PoolOne(mlContext, s_tiny), row.Embedding);
    }

    [TestMethod]
    public void Transform_LengthMismatch_ThrowsNamingColumns()
    {
        var mlContext = new MLContext(seed: 1);
        var data = LoadWithDims(mlContext, new TokenRow { TokenEmbeddings = [1, 2, 3, 3, 4, 5], AttentionMask = [1, 1, 1] });
        var transformed = mlContext.Transforms.MeanPoolAndNormalize().Fit(data).Transform(data);
        var ex = Assert.ThrowsExactly<PoolingInputException>(() => mlContext.Data.CreateEnumerable<EmbeddingRow>(transformed, reuseRowObject: false).ToList());
        Assert.AreEqual("last_hidden_state", ex.TokenEmbeddingsColumnName);
        Assert.AreEqual("attention_mask", ex.AttentionMaskColumnName);
        StringAssert.Contains(ex.Message, "'last_hidden_state'");
        StringAssert.Contains(ex.Message, "'attention_mask'");
    }

    [TestMethod]
    [DataRow("missing_embeddings", "attention_mask")]
    [DataRow("last_hidden_state", "missing_mask")]
    public void Fit_MissingColumn_ThrowsNamingColumn(string embeddings, string mask)
    {
        var mlContext = new MLContext(seed: 1);
        var estimator = mlContext.Transforms.MeanPoolAndNormalize("embedding", embeddings, mask);
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.Fit(LoadWithDims(mlContext, s_tiny)));
        StringAssert.Contains(ex.Message, "'missing_");
    }

    [TestMethod]
    public void Fit_ScalarMask_ThrowsNamingColumnAndType()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(new[] { new ScalarMaskRow { TokenEmbeddings = [1, 2, 3], AttentionMask = 1 } });
        var estimator = mlContext.Transforms.MeanPoolAndNormalize(new MeanPoolingOptions { HiddenSize = 3 });
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        StringAssert.Contains(ex.Message, "'attention_mask'");
        StringAssert.Contains(ex.Message, "Int64");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(TextTestData.ShapeOf<ScalarMaskRow>()));
    }

    [TestMethod]
    public void CreatePredictionEngine_TinyExample_EqualsTransform()
    {
        var mlContext = new MLContext(seed: 1);
        var transformer = mlContext.Transforms.MeanPoolAndNormalize(new MeanPoolingOptions { HiddenSize = 3 })
            .Fit(mlContext.Data.LoadFromEnumerable(new[] { s_tiny }));
        using var engine = mlContext.Model.CreatePredictionEngine<TokenRow, EmbeddingRow>(transformer);
        AssertClose(PoolOne(mlContext, s_tiny), engine.Predict(s_tiny).Embedding);
        AssertClose([0.6f, 0.8f, 0], engine.Predict(new TokenRow { TokenEmbeddings = [3, 4, 0], AttentionMask = [1] }).Embedding);
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void ModelLoad_StockSaveAndLoad_GivesSameOutput(bool normalize)
    {
        var mlContext = new MLContext(seed: 1);
        var data = LoadWithDims(mlContext, s_tiny, new TokenRow { TokenEmbeddings = [1, 0, 0, 5, 5, 5], AttentionMask = [1, 0] });
        var transformer = mlContext.Transforms.MeanPoolAndNormalize(normalize: normalize).Fit(data);
        var expected = mlContext.Data.CreateEnumerable<EmbeddingRow>(transformer.Transform(data), reuseRowObject: false).ToList();

        using var stream = new MemoryStream();
        mlContext.Model.Save(transformer, data.Schema, stream);
        stream.Position = 0;
        var loadContext = new MLContext(seed: 1);
        loadContext.ComponentCatalog.RegisterAssembly(typeof(MeanPoolingTransformer).Assembly);
        var loaded = loadContext.Model.Load(stream, out _);
        var actual = loadContext.Data.CreateEnumerable<EmbeddingRow>(loaded.Transform(data), reuseRowObject: false).ToList();

        Assert.HasCount(expected.Count, actual);
        for (int i = 0; i < expected.Count; i++)
        {
            AssertClose(expected[i].Embedding, actual[i].Embedding);
        }
    }

    [TestMethod]
    public void LoadState_AfterWriteState_GivesSameOutput()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(new[] { s_tiny });
        var transformer = mlContext.Transforms.MeanPoolAndNormalize(new MeanPoolingOptions { HiddenSize = 3, Normalize = false, OutputColumnName = "embedding" }).Fit(data);
        using var stream = new MemoryStream();
        using (var archive = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            Assert.AreEqual("MeanPooling", ((IPersistableTransformer)transformer).PersistKind);
            ((IPersistableTransformer)transformer).WriteState(archive, "stage1/");
        }

        stream.Position = 0;
        using var readArchive = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Read);
        var loaded = MeanPoolingTransformer.LoadState(mlContext, readArchive, "stage1/");
        Assert.IsFalse(loaded.Normalize);
        var row = mlContext.Data.CreateEnumerable<EmbeddingRow>(loaded.Transform(data), reuseRowObject: false).Single();
        AssertClose([2, 3, 4], row.Embedding);
    }
}
