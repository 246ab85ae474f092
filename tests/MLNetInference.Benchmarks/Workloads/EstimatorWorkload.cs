using System.Numerics.Tensors;
using Microsoft.ML;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Models;
using MLNetInference.Pipeline.Pooling;
using MLNetInference.Pipeline.Scoring;
using MLNetInference.Pipeline.Text;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// The estimator workload: 1,000 real sentences from text to normalized embedding, through our pipeline
/// (TokenizeForBert, ScoreOnnxBatched, MeanPoolAndNormalize) against ML.NET's ApplyOnnxModel pinned to 128 tokens.
/// </summary>
internal sealed class EstimatorWorkload : IWorkload
{
    private const int SentenceCount = 1000;
    private const int SliceRows = 200;
    private const int CheckedRows = 16;

    public string Name => "estimator";

    public string Title => "Estimator: batched ML.NET pipeline vs ApplyOnnxModel pinned to 128 (MiniLM, 1,000 real sentences)";

    public IReadOnlyList<BenchmarkRecord> Run(bool quick, TextWriter progress)
    {
        var rounds = quick ? SentenceCount / SliceRows : 3 * SentenceCount / SliceRows;
        var ml = new MLContext(seed: 0);
        var sentences = SentenceCorpus.Load(SentenceCount).Select(s => new TextRow { Text = s }).ToList();
        var slices = Enumerable.Range(0, SentenceCount / SliceRows)
            .Select(k => ml.Data.LoadFromEnumerable(sentences.GetRange(k * SliceRows, SliceRows)))
            .ToArray();
        var warmUp = ml.Data.LoadFromEnumerable(sentences.GetRange(0, 32));

        progress.WriteLine("  fitting both pipelines (loads MiniLM three times)");
        var ours = BuildOurs(ml, batchSize: new OnnxBatchScoringOptions().BatchSize, window: 0).Fit(warmUp);
        var tuned = BuildOurs(ml, batchSize: 32, window: 128).Fit(warmUp);
        var stock = StockMiniLm.Build(ml).Fit(warmUp);
        try
        {
            var meanTokens = MeanTokenCount(ml, ml.Data.LoadFromEnumerable(sentences));
            var checkRows = ml.Data.LoadFromEnumerable(sentences.GetRange(0, CheckedRows));
            var (meanCosine, minCosine) = CompareEmbeddings(ours, stock, checkRows);
            var (tunedMean, tunedMin) = CompareEmbeddings(tuned, stock, checkRows);
            meanCosine = Math.Min(meanCosine, tunedMean);
            minCosine = Math.Min(minCosine, tunedMin);
            progress.WriteLine($"  check: embeddings of {CheckedRows} sentences agree (both of ours vs the baseline, worst of the two), cosine mean {meanCosine:F6}, min {minCosine:F6}");
            if (minCosine < 0.999)
            {
                throw new InvalidOperationException($"The two pipelines' embeddings disagree (min cosine {minCosine:F6} < 0.999); the comparison would not be fair.");
            }

            var variants = new[]
            {
                Variant("mlnet-applyonnxmodel-pinned128", null, stock, slices, warmUp),
                Variant("ours-batched-defaults-b8-window256", "mlnet-applyonnxmodel-pinned128", ours, slices, warmUp),
                Variant("ours-batched-b32-window128", "mlnet-applyonnxmodel-pinned128", tuned, slices, warmUp),
            };
            var note = $"{SentenceCount} corpus sentences, mean {meanTokens:F1} tokens with [CLS]/[SEP]; both variants run text → TokenizeForBert " +
                "(the same tokenizer, timed inside each pipeline, so tokenization counts equally) → model → MeanPoolAndNormalize, and a cursor reads " +
                "every row's embedding; the baseline pads tokens to 128 in a CustomMapping and runs ApplyOnnxModel with shapeDictionary [1,128]; " +
                $"ours: ScoreOnnxBatched with its defaults (batch 8, rows sorted by length within windows of 256 rows, which covers a whole " +
                $"{SliceRows}-row slice) and with the earlier defaults (batch 32, window 128 rows); both with their thread defaults, as a user gets them (ours: ONNX Runtime's default intra-op pool over all cores; ML.NET: its defaults, which also run ONNX Runtime across both cores), ORT_ENABLE_ALL; {rounds} interleaved rounds " +
                $"of {SliceRows} sentences (slices cycle over the 1,000); embeddings agree on {CheckedRows} rows (cosine mean {meanCosine:F6}, min {minCosine:F6}); " +
                "p50/p99 do not apply (throughput of whole slices); peak RSS is process-wide (VmHWM).";
            return new InterleavedRun(variants).Execute(Name, rounds, _ => note, progress);
        }
        finally
        {
            (ours as IDisposable)?.Dispose();
            (tuned as IDisposable)?.Dispose();
            (stock as IDisposable)?.Dispose();
        }
    }

    private static IEstimator<ITransformer> BuildOurs(MLContext ml, int batchSize, int window) =>
        ml.Transforms.TokenizeForBert(nameof(TextRow.Text), ModelPaths.MiniLmVocab, maxLength: PaddedTokens.Length)
            .Append(ml.Transforms.ScoreOnnxBatched(ScoringOptions(batchSize, window)))
            .Append(ml.Transforms.MeanPoolAndNormalize());

    private static OnnxBatchScoringOptions ScoringOptions(int batchSize, int window)
    {
        var options = new OnnxBatchScoringOptions
        {
            ModelPath = ModelPaths.MiniLmModel,
            BatchSize = batchSize,
            LengthGroupingWindow = window,
            MaxSequenceLength = PaddedTokens.Length,
        };
        options.OutputColumns["last_hidden_state"] = "last_hidden_state";
        return options;
    }

    private static BenchmarkVariant Variant(string name, string? baseline, ITransformer model, IDataView[] slices, IDataView warmUp) => new()
    {
        Name = name,
        BaselineName = baseline,
        RunSlice = (round, _) => DataViewReader.Consume(model.Transform(round < 0 ? warmUp : slices[round % slices.Length]), "embedding"),
    };

    private static double MeanTokenCount(MLContext ml, IDataView data)
    {
        var tokens = ml.Transforms.TokenizeForBert(nameof(TextRow.Text), ModelPaths.MiniLmVocab, maxLength: PaddedTokens.Length).Fit(data).Transform(data);
        return DataViewReader.ReadVectors<long>(tokens, "input_ids").Average(row => row.Length);
    }

    private static (double Mean, double Min) CompareEmbeddings(ITransformer ours, ITransformer stock, IDataView data)
    {
        var a = DataViewReader.ReadVectors<float>(ours.Transform(data), "embedding");
        var b = DataViewReader.ReadVectors<float>(stock.Transform(data), "embedding");
        var cosines = a.Zip(b, (x, y) => (double)TensorPrimitives.CosineSimilarity<float>(x, y)).ToList();
        return (cosines.Average(), cosines.Min());
    }
}
