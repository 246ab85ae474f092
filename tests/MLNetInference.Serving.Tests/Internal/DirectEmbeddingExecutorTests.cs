using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Core.Runtime;
using MLNetInference.Models;
using MLNetInference.Pipeline.Serialization;
using MLNetInference.Pipeline.Text;
using MLNetInference.Serving.Internal;
using static MLNetInference.Serving.Tests.EmbedderFixture;

namespace MLNetInference.Serving.Tests.Internal;

[TestClass]
public sealed class DirectEmbeddingExecutorTests
{
    [TestMethod]
    public void Execute_EmbedderZip_EqualsTheGeneralExecutorRowForRow()
    {
        var ml = new MLContext(seed: 1);
        var definition = SchemaDefinition.Create(typeof(TextInput));
        var model = BatchedModel.Load(ml, ZipPath, out _, new BatchedModelLoadOptions { Session = new OnnxSessionOptions { IntraOpThreads = 1 } });
        try
        {
            var direct = DirectEmbeddingExecutor<TextInput, Embedding>.TryCreate(model, InputSchema(ml, definition));
            Assert.IsNotNull(direct, "our text → embedding zip should take the direct path");
            var general = new MlNetBatchExecutor<TextInput, Embedding>(ml, model, definition);

            // Arrival order, several runner calls per batch, then a smaller batch on the same (reused) buffers.
            var inputs = SentenceCorpus.Load(40).Select(s => new TextInput { Text = s }).ToArray();
            foreach (var batch in new[] { inputs[..27], inputs[27..] })
            {
                var expected = new Embedding[batch.Length];
                var actual = new Embedding[batch.Length];
                general.Execute(batch, expected);
                direct.Execute(batch, actual);
                for (var i = 0; i < batch.Length; i++)
                {
                    Assert.HasCount(384, actual[i].Vector);
                    Assert.IsGreaterThanOrEqualTo(0.99999f, Cosine(expected[i].Vector, actual[i].Vector), $"row {i}: {batch[i].Text}");
                    for (var k = 0; k < 384; k++)
                    {
                        Assert.AreEqual(expected[i].Vector[k], actual[i].Vector[k], 1e-5f, $"row {i}, value {k}");
                    }
                }
            }
        }
        finally
        {
            BatchedModel.DisposeModel(model);
        }
    }

    [TestMethod]
    public void Execute_EmptyText_ThrowsTheTokenizersTextInputException()
    {
        var ml = new MLContext(seed: 1);
        var definition = SchemaDefinition.Create(typeof(TextInput));
        var model = BatchedModel.Load(ml, ZipPath, out _);
        try
        {
            var direct = DirectEmbeddingExecutor<TextInput, Embedding>.TryCreate(model, InputSchema(ml, definition))!;

            var error = Assert.ThrowsExactly<TextInputException>(() => direct.Execute(new[] { new TextInput { Text = "fine" }, new TextInput { Text = "   " } }, new Embedding[2]));

            Assert.AreEqual(nameof(TextInput.Text), error.ColumnName);
        }
        finally
        {
            BatchedModel.DisposeModel(model);
        }
    }

    [TestMethod]
    public void TryCreate_PredictionReadsAnotherOutputColumn_LeavesItToTheGeneralPath()
    {
        var ml = new MLContext(seed: 1);
        var definition = SchemaDefinition.Create(typeof(TextInput));
        var model = BatchedModel.Load(ml, ZipPath, out _);
        try
        {
            Assert.IsNull(DirectEmbeddingExecutor<TextInput, EmbeddingWithText>.TryCreate(model, InputSchema(ml, definition)), "Text is an output column the direct path does not fill");
            Assert.IsNull(DirectEmbeddingExecutor<TextInput, EmbeddingWithTokens>.TryCreate(model, InputSchema(ml, definition)), "input_ids is an output column the direct path does not fill");
            Assert.IsNull(DirectEmbeddingExecutor<TextInput, Embedding>.TryCreate(BatchedModel.GetStages(model)[1], InputSchema(ml, definition)), "a lone scoring stage is not the embedding pipeline");
        }
        finally
        {
            BatchedModel.DisposeModel(model);
        }
    }

    private static DataViewSchema InputSchema(MLContext ml, SchemaDefinition definition)
        => ml.Data.LoadFromEnumerable(Array.Empty<TextInput>(), definition).Schema;

    public sealed class EmbeddingWithText
    {
        public string Text { get; set; } = string.Empty;

        [ColumnName("embedding")]
        [VectorType(384)]
        public float[] Vector { get; set; } = [];
    }

    public sealed class EmbeddingWithTokens
    {
        [ColumnName("input_ids")]
        [VectorType]
        public long[] Ids { get; set; } = [];

        [ColumnName("embedding")]
        [VectorType(384)]
        public float[] Vector { get; set; } = [];
    }
}
