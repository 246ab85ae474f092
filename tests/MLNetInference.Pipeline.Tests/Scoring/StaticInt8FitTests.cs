using MLNetInference.Core;
using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Models;
using MLNetInference.Pipeline.Scoring;
using MLNetInference.Tests.Shared;

namespace MLNetInference.Pipeline.Tests.Scoring;

[TestClass]
public sealed class StaticInt8FitTests
{
    private const int EvaluationSentences = 50;
    private const int CalibrationSentences = 64;

    public sealed class TextRow
    {
        public string Text { get; set; } = string.Empty;
    }

    [TestMethod]
    public void EmbedSentences_Int8Static_CalibratesOnTheFittedRowsAndStaysCloseToFp32()
    {
        var ml = new MLContext(seed: 1);
        var corpus = SentenceCorpus.Load(EvaluationSentences + CalibrationSentences);
        var evaluation = ml.Data.LoadFromEnumerable(corpus.Take(EvaluationSentences).Select(s => new TextRow { Text = s }));
        var training = ml.Data.LoadFromEnumerable(corpus.Skip(EvaluationSentences).Select(s => new TextRow { Text = s }));

        var fp32 = Embed(ml.Transforms.EmbedSentences(nameof(TextRow.Text), ModelPaths.MiniLmModel, ModelPaths.MiniLmVocab).Fit(training), evaluation);
        var fitted = ml.Transforms.EmbedSentences(nameof(TextRow.Text), ModelPaths.MiniLmModel, ModelPaths.MiniLmVocab, recipe: "int8-static").Fit(training);
        var int8 = Embed(fitted, evaluation);

        var scoring = ((IEnumerable<ITransformer>)fitted).OfType<OnnxBatchScoringTransformer>().Single();
        Assert.IsNotNull(scoring.Optimization);
        Assert.IsEmpty(scoring.Optimization.Warnings, "calibrated on the fitted rows, not on generated inputs");
        Assert.IsTrue(MLNetInference.Core.Onnx.OnnxModelIO.Parse(scoring.Optimization.Model).Graph.Node.Any(n => n.OpType == "QuantizeLinear"));
        var cosines = fp32.Zip(int8, (a, b) => (double)TensorPrimitives.CosineSimilarity<float>(a, b)).ToList();
        Assert.HasCount(EvaluationSentences, cosines);
        Assert.IsGreaterThanOrEqualTo(0.99, cosines.Average(), $"mean cosine {cosines.Average():F4}");
        Assert.IsGreaterThanOrEqualTo(0.97, cosines.Min(), $"min cosine {cosines.Min():F4}");
    }

    [TestMethod]
    public void ScoreOnnxBatched_Int8Static_CalibratesOnFixedSizeFloatColumns()
    {
        if (MLNetInference.Optimizers.Quantization.CpuInt8Kernels.SaturatesFullRangeInt8Weights)
        {
            Assert.Inconclusive("This CPU has no VNNI: ONNX Runtime's u8×s8 QGemm saturates with full-range int8 weights, so the 0.05 bound does not hold here.");
        }

        var ml = new MLContext(seed: 1);
        var random = new Random(5);
        var rows = Enumerable.Range(0, 32).Select(_ => new OnnxBatchScoringEstimatorTests.MlpInput { features = [.. Enumerable.Range(0, MLNetInference.Models.FixtureModels.SmallMlpInputSize).Select(_ => (float)random.NextDouble())] }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        using var fp32 = ml.Transforms.ScoreOnnxBatched(TestModels.SmallMlpPath).Fit(data);
        using var int8 = ml.Transforms.ScoreOnnxBatched(new OnnxBatchScoringOptions { ModelPath = TestModels.SmallMlpPath, Recipe = "int8-static", CalibrationRows = 16 }).Fit(data);

        var expected = ml.Data.CreateEnumerable<OnnxBatchScoringEstimatorTests.MlpOutput>(fp32.Transform(data), reuseRowObject: false).ToList();
        var actual = ml.Data.CreateEnumerable<OnnxBatchScoringEstimatorTests.MlpOutput>(int8.Transform(data), reuseRowObject: false).ToList();

        Assert.IsNotNull(int8.Optimization);
        Assert.IsEmpty(int8.Optimization.Warnings);
        var graph = MLNetInference.Core.Onnx.OnnxModelIO.Parse(int8.Optimization.Model).Graph;
        Assert.AreEqual(2, graph.Node.Count(n => n.OpType == "QuantizeLinear"), "the features and the hidden layer");
        Assert.AreEqual(2, graph.Node.Count(n => n.OpType == "Gemm"), "each MatMul + bias Add is one quantized Gemm");
        var worst = expected.Zip(actual, (e, a) => TestModels.MaxAbsDiff(e.scores, a.scores)).Max();
        Assert.IsLessThanOrEqualTo(0.05f, worst);
        Assert.IsGreaterThan(0f, worst, "the quantized model is not bit-identical to fp32");
    }

    [TestMethod]
    public void DataViewCalibration_ColumnMissing_ThrowsNamingIt()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = "no tokens here" } });

        var error = Assert.ThrowsExactly<InvalidInputException>(() => DataViewCalibration.Read(data, File.ReadAllBytes(ModelPaths.MiniLmModel)));

        StringAssert.Contains(error.Message, "input_ids");
    }

    private static List<float[]> Embed(ITransformer model, IDataView data) =>
        [.. model.Transform(data).GetColumn<VBuffer<float>>("embedding").Select(v => v.DenseValues().ToArray())];
}
