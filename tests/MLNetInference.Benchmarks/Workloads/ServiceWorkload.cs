using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Models;
using MLNetInference.Serving;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// P1 short-text service: MiniLM sentence embeddings of real sentences, one request per sentence, under closed-loop
/// clients; (a) pooled ML.NET PredictionEngines over ApplyOnnxModel pinned to 128, (b) raw ONNX Runtime per request
/// at exact lengths, (c) our PredictionEnginePool without batching, (d) with dynamic batching.
/// </summary>
internal sealed class ServiceWorkload : IWorkload
{
    private const int SentenceCount = 1000;
    private const int CheckedRows = 8;
    private const int TunedBatch = 8;
    private const string PooledEngines = "a-mlnet-engine-pool-pinned128";
    private const string RawOrt = "b-raw-ort-per-request-exact";
    private const string Ceiling = "ceiling-raw-ort-pretokenized-exact";

    public string Name => "p1";

    public string Title => "P1 short-text service: MiniLM embeddings, closed-loop clients (1,000 real sentences)";

    public IReadOnlyList<BenchmarkRecord> Run(bool quick, TextWriter progress)
    {
        int[] levels = quick ? [8, 32, 128] : [1, 8, 32, 128];
        var rounds = quick ? 3 : 7;
        var slice = TimeSpan.FromSeconds(quick ? 2 : 3);
        var warmUp = TimeSpan.FromSeconds(1);
        var rows = SentenceCorpus.Load(SentenceCount).Select(s => new TextRow { Text = s }).ToArray();

        progress.WriteLine("  building the stock pipeline, the raw session and the zip, and loading both pools");
        var ml = new MLContext(seed: 0);
        var stock = StockMiniLm.Build(ml).Fit(ml.Data.LoadFromEnumerable(rows[..8]));
        var zip = MiniLmPools.BuildZip(Path.Combine(Path.GetTempPath(), $"mlnetinference-bench-p1-{Environment.ProcessId}.zip"));
        using var engines = new EnginePool<TextRow, EmbeddingRow>(() => ml.Model.CreatePredictionEngine<TextRow, EmbeddingRow>(stock, new PredictionEngineOptions { OwnsTransformer = false }), 2 * Environment.ProcessorCount);
        using var raw = new RawOrtEmbedder(ModelPaths.MiniLmModel, ModelPaths.MiniLmVocab);
        using var ceiling = new OrtCeiling(ModelPaths.MiniLmModel, ["input_ids", "attention_mask", "token_type_ids"], ["last_hidden_state"]);
        var ceilingRows = PreTokenize(rows, raw);
        var (unbatchedProvider, unbatched) = MiniLmPools.Create(zip, o => o.MaxBatchSize = 1);
        var (batchedProvider, batched) = MiniLmPools.Create(zip, _ => { });
        var int8Zip = MiniLmPools.BuildZip(Path.Combine(Path.GetTempPath(), $"mlnetinference-bench-p1-int8-{Environment.ProcessId}.zip"), recipe: "int8-dynamic");
        var (int8Provider, int8) = MiniLmPools.Create(int8Zip, o => o.MaxBatchSize = 1);
        var (int8BatchedProvider, int8Batched) = MiniLmPools.Create(int8Zip, _ => { });
        var (tunedProvider, tuned) = MiniLmPools.Create(zip, o =>
        {
            o.MaxBatchSize = TunedBatch;
            o.MaxQueueDelay = TimeSpan.FromMilliseconds(1);
        });
        try
        {
            var defaults = new DynamicBatchingOptions();
            var check = CheckSameEmbeddings(rows[..CheckedRows], engines, raw, unbatched, batched, tuned);
            progress.WriteLine($"  check: {check}");
            var int8Check = Int8Cosines(rows[..CheckedRows], raw, int8);
            progress.WriteLine($"  int8: {int8Check}");
            var meanTokens = rows.Average(r => raw.Tokenize(r.Text).Length);
            var records = new List<BenchmarkRecord>();
            string[] againstCeiling = [Ceiling];
            string[] againstRawAndCeiling = [RawOrt, Ceiling];
            foreach (var clients in levels)
            {
                progress.WriteLine($"  {clients} clients");
                TimeSpan Duration(int round) => round < 0 ? warmUp : slice;
                var variants = new[]
                {
                    new BenchmarkVariant
                    {
                        Name = Ceiling,
                        Clients = clients,
                        Baseline = true,
                        RunTimedSlice = (round, latencies) => ceiling.RunSlice(Duration(round), ceilingRows, 1, latencies),
                    },
                    new BenchmarkVariant
                    {
                        Name = PooledEngines,
                        Clients = clients,
                        AlsoComparedWith = againstCeiling,
                        Baseline = true,
                        RunTimedSlice = (round, latencies) => ClosedLoop.RunThreads(clients, Duration(round), i => engines.Predict(rows[i % SentenceCount]), latencies),
                    },
                    new BenchmarkVariant
                    {
                        Name = RawOrt,
                        Clients = clients,
                        BaselineName = PooledEngines,
                        AlsoComparedWith = againstCeiling,
                        Baseline = true,
                        RunTimedSlice = (round, latencies) => ClosedLoop.RunThreads(clients, Duration(round), i => raw.Embed(rows[i % SentenceCount].Text), latencies),
                    },
                    new BenchmarkVariant
                    {
                        Name = "c-ours-pool-unbatched",
                        Clients = clients,
                        BaselineName = PooledEngines,
                        AlsoComparedWith = againstRawAndCeiling,
                        RunTimedSlice = (round, latencies) => ClosedLoop.RunTasks(clients, Duration(round), i => unbatched.PredictAsync(rows[i % SentenceCount]), latencies),
                    },
                    new BenchmarkVariant
                    {
                        Name = "d-ours-pool-batched-b8-delay1ms",
                        Clients = clients,
                        BaselineName = PooledEngines,
                        AlsoComparedWith = againstRawAndCeiling,
                        RunTimedSlice = (round, latencies) => ClosedLoop.RunTasks(clients, Duration(round), i => tuned.PredictAsync(rows[i % SentenceCount]), latencies),
                    },
                    new BenchmarkVariant
                    {
                        Name = "e-int8-ours-pool-unbatched",
                        Clients = clients,
                        BaselineName = PooledEngines,
                        AlsoComparedWith = againstRawAndCeiling,
                        RunTimedSlice = (round, latencies) => ClosedLoop.RunTasks(clients, Duration(round), i => int8.PredictAsync(rows[i % SentenceCount]), latencies),
                    },
                    new BenchmarkVariant
                    {
                        Name = "f-int8-ours-pool-defaults",
                        Clients = clients,
                        BaselineName = PooledEngines,
                        AlsoComparedWith = againstRawAndCeiling,
                        RunTimedSlice = (round, latencies) => ClosedLoop.RunTasks(clients, Duration(round), i => int8Batched.PredictAsync(rows[i % SentenceCount]), latencies),
                    },
                    new BenchmarkVariant
                    {
                        Name = "d-ours-pool-batched-defaults",
                        Clients = clients,
                        BaselineName = PooledEngines,
                        AlsoComparedWith = againstRawAndCeiling,
                        RunTimedSlice = (round, latencies) => ClosedLoop.RunTasks(clients, Duration(round), i => batched.PredictAsync(rows[i % SentenceCount]), latencies),
                    },
                };
                var note = $"ceiling: raw ONNX Runtime on the same sentences pre-tokenized at exact length (inputs built before timing), one Run of [1, L] per row " +
                    $"in a tight loop on {OrtCeiling.Threads} threads (one per core), one shared session with intra-op 1, no tokenizer, pooling or request machinery (the client count does not apply); " +
                    $"MiniLM fp32, {SentenceCount} corpus sentences sent in order as they come (mean {meanTokens:F1} tokens with [CLS]/[SEP]), one sentence per request, " +
                    "every variant returns the normalized mean-pooled embedding and tokenizes with our BERT tokenizer; closed loop: each client sends its next request " +
                    $"when the previous one completes, for {slice.TotalSeconds:F0} s per slice; throughput counts every request over the time until the last one completes (clients stop sending at the end " +
                    $"of the slice and wait for their last request); {rounds} interleaved rounds per client count; " +
                    $"(a) stock ML.NET: TokenizeForBert, pad to 128, ApplyOnnxModel with shapeDictionary [1,128] (ML.NET's thread defaults), MeanPoolAndNormalize, " +
                    $"{engines.Capacity} PredictionEngines in a bounded pool (clients wait for a free one), one client thread each; " +
                    "(b) one shared InferenceSession with ONNX Runtime's default options, each request its own Run on [1, exact length], one client thread each; " +
                    $"(c) our PredictionEnginePool from the EmbedSentences zip with MaxBatchSize 1; (d) the same with its defaults (MaxBatchSize {defaults.MaxBatchSize}, " +
                    $"MaxQueueDelay {defaults.MaxQueueDelay.TotalMilliseconds:F0} ms, GroupByLength {defaults.GroupByLength}, workers = cores ({Environment.ProcessorCount}), " +
                    $"intra-op {defaults.IntraOpThreadsPerWorker} per worker) and tuned for CPU (MaxBatchSize {TunedBatch}, MaxQueueDelay 1 ms, the rest default); (c) and (d) clients are async tasks awaiting PredictAsync; " +
                    "(e) our pool over the same pipeline fitted with the optimizer's int8-dynamic recipe (weights INT8, an INT8 model, not fp32), MaxBatchSize 1; (f) the same INT8 zip with the pool's defaults; " +
                    $"{check}; {int8Check}; peak RSS is process-wide (VmHWM), all models loaded.";
                records.AddRange(new InterleavedRun(variants).Execute(Name, rounds, _ => note, progress));
            }

            return records;
        }
        finally
        {
            tunedProvider.Dispose();
            int8BatchedProvider.Dispose();
            int8Provider.Dispose();
            batchedProvider.Dispose();
            unbatchedProvider.Dispose();
            (stock as IDisposable)?.Dispose();
            File.Delete(zip);
            File.Delete(int8Zip);
        }
    }

    /// <summary>The ceiling's inputs: every sentence tokenized at its exact length, as ONNX Runtime tensors built once.</summary>
    private static OrtValue[][] PreTokenize(TextRow[] rows, RawOrtEmbedder raw)
    {
        return rows.Select(row =>
        {
            var ids = raw.Tokenize(row.Text);
            var mask = new long[ids.Length];
            Array.Fill(mask, 1L);
            long[] shape = [1, ids.Length];
            return new[]
            {
                OrtValue.CreateTensorValueFromMemory(ids, shape),
                OrtValue.CreateTensorValueFromMemory(mask, shape),
                OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape),
            };
        }).ToArray();
    }

    private static string Int8Cosines(TextRow[] rows, RawOrtEmbedder raw, PredictionEnginePool<TextRow, EmbeddingRow> int8)
    {
        var cosines = rows.Select(row => (double)System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(raw.Embed(row.Text), int8.Predict(row).Vector)).ToArray();
        return $"(e) embeddings against fp32 (b) on {rows.Length} sentences: cosine mean {cosines.Average():F4}, min {cosines.Min():F4}";
    }

    private static string CheckSameEmbeddings(
        TextRow[] rows,
        EnginePool<TextRow, EmbeddingRow> engines,
        RawOrtEmbedder raw,
        PredictionEnginePool<TextRow, EmbeddingRow> unbatched,
        PredictionEnginePool<TextRow, EmbeddingRow> batched,
        PredictionEnginePool<TextRow, EmbeddingRow> tuned)
    {
        var min = 1.0;
        foreach (var row in rows)
        {
            var reference = raw.Embed(row.Text);
            foreach (var other in new[] { engines.Predict(row).Vector, unbatched.Predict(row).Vector, batched.Predict(row).Vector, tuned.Predict(row).Vector })
            {
                min = Math.Min(min, TensorPrimitives.CosineSimilarity<float>(reference, other));
            }
        }

        if (min < 0.999)
        {
            throw new InvalidOperationException($"The variants' embeddings disagree (min cosine {min:F6} < 0.999); the comparison would not be fair.");
        }

        return $"embeddings of {rows.Length} sentences agree across all variants (min cosine vs (b) {min:F6})";
    }
}
