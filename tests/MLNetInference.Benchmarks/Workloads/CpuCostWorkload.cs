using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Core.Runtime;
using MLNetInference.Models;
using MLNetInference.Pipeline.Scoring;
using MLNetInference.Pipeline.Serialization;
using MLNetInference.Serving.Internal;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// Where the pool's time goes per row on the CPU (issue 13): one thread, one intra-op thread, MiniLM on real
/// sentences in arrival order. Raw ONNX Runtime on pre-tokenized exact-length rows against the pool's executors (the
/// general ML.NET-view executor and the direct one) and the BatchRunner alone, at several batch sizes, with the
/// rounds interleaved and the median kept.
/// </summary>
internal sealed class CpuCostWorkload : IWorkload
{
    private const int SentenceCount = 1000;

    public string Name => "p1cost";

    public string Title => "P1 cost per row on the CPU: where the pool's time goes against raw ONNX Runtime (one thread, intra-op 1, thread CPU time)";

    public IReadOnlyList<BenchmarkRecord> Run(bool quick, TextWriter progress)
    {
        var rounds = quick ? 3 : 5;
        var budget = TimeSpan.FromSeconds(quick ? 1.5 : 3);
        var texts = SentenceCorpus.Load(SentenceCount);
        var rows = texts.Select(s => new TextRow { Text = s }).ToArray();
        var zip = MiniLmPools.BuildZip(Path.Combine(Path.GetTempPath(), $"mlnetinference-bench-p1cost-{Environment.ProcessId}.zip"));
        var session = new OnnxSessionOptions { IntraOpThreads = 1, InterOpThreads = 1 };
        var ml = new MLContext(seed: 0);
        var definition = SchemaDefinition.Create(typeof(TextRow));
        var inputSchema = ml.Data.LoadFromEnumerable(Array.Empty<TextRow>(), definition).Schema;
        var model8 = BatchedModel.Load(ml, zip, out _, new BatchedModelLoadOptions { Session = session, BatchSize = 8 });
        var model32 = BatchedModel.Load(ml, zip, out _, new BatchedModelLoadOptions { Session = session, BatchSize = 32 });
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var raw = new RawOrtEmbedder(ModelPaths.MiniLmModel, ModelPaths.MiniLmVocab, sessionOptions);
        try
        {
            var tokens = texts.Select(raw.Tokenize).ToArray();
            var general8 = new MlNetBatchExecutor<TextRow, EmbeddingRow>(ml, model8, definition);
            var direct8 = DirectEmbeddingExecutor<TextRow, EmbeddingRow>.TryCreate(model8, inputSchema) ?? throw new InvalidOperationException("The zip should take the direct path.");
            var direct32 = DirectEmbeddingExecutor<TextRow, EmbeddingRow>.TryCreate(model32, inputSchema)!;
            var runner32 = ((OnnxBatchScoringTransformer)BatchedModel.GetStages(model32)[1]).Runner;

            // Same embeddings on both executors (up to padding inside a batch).
            var a = new EmbeddingRow[8];
            var b = new EmbeddingRow[8];
            general8.Execute(rows.AsSpan(0, 8), a);
            direct8.Execute(rows.AsSpan(0, 8), b);
            var minCosine = Enumerable.Range(0, 8).Min(i => TensorPrimitives.CosineSimilarity<float>(a[i].Vector, b[i].Vector));
            var maxDiff = Enumerable.Range(0, 8).Max(i => Enumerable.Range(0, a[i].Vector.Length).Max(k => Math.Abs(a[i].Vector[k] - b[i].Vector[k])));
            progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  direct vs general on 8 sentences: min cosine {minCosine:F7}, max abs diff {maxDiff:G3}"));

            var next = 0;
            int Next(int count)
            {
                var start = next;
                next = (next + count) % (SentenceCount - 64);
                return start;
            }

            var steps = new (string Name, int Rows, Action Call, string Detail)[]
            {
                ("raw ORT Run, pre-tokenized exact length, b1", 1, () => RawRun(raw, tokens[Next(1)]), "the ceiling's unit of work: one Run on [1, L], no tokenizer, no pooling"),
                ("raw ORT per request (tokenize, Run, pool), b1", 1, () => raw.Embed(texts[Next(1)]), "P1 (b)'s work on one thread"),
                ("runner, pre-tokenized, batch 8 sorted (one Run)", 8, () => RunnerRun(runner32, tokens, Next(8), 8), "BatchRunner.Run on 8 arrival-order rows sorted by length"),
                ("runner, pre-tokenized, batch 32 sorted (one Run)", 32, () => RunnerRun(runner32, tokens, Next(32), 32), "one Run of 32 rows padded to the longest"),
                ("general executor (ML.NET view), batch 1", 1, () => general8.Execute(rows.AsSpan(Next(1), 1), a.AsSpan(0, 1)), "LoadFromEnumerable, Transform, CreateEnumerable; tokenizes in the scorer's lead cursor and again in the main one"),
                ("general executor (ML.NET view), batch 8", 8, () => general8.Execute(rows.AsSpan(Next(8), 8), a), "the same, 8 rows in one Run padded to the longest"),
                ("general executor (ML.NET view), batch 32", 32, () => general8.Execute(rows.AsSpan(Next(32), 32), new EmbeddingRow[32]), "ChunkScorer sorts the 32 by length, the runner cuts at 8: 4 Runs"),
                ("direct executor, batch 1", 1, () => direct8.Execute(rows.AsSpan(Next(1), 1), b.AsSpan(0, 1)), "tokenize once, BatchRunner.Run, pool"),
                ("direct executor, batch 8", 8, () => direct8.Execute(rows.AsSpan(Next(8), 8), b), "sorted by length, runs of rows within 1/8 of each other's length"),
                ("direct executor, batch 32, runs of at most 8", 32, () => direct8.Execute(rows.AsSpan(Next(32), 32), new EmbeddingRow[32]), "the same, the zip's runner batch 8 (what the pool loads on the CPU)"),
                ("direct executor, batch 32, runs of at most 32", 32, () => direct32.Execute(rows.AsSpan(Next(32), 32), new EmbeddingRow[32]), "the same, runner batch 32"),
            };
            var perRow = steps.Select(_ => new List<double>()).ToArray();
            for (var round = 0; round < rounds; round++)
            {
                progress.WriteLine($"  round {round + 1}/{rounds}");
                for (var s = 0; s < steps.Length; s++)
                {
                    perRow[s].Add(Measure(steps[s].Call, budget) / steps[s].Rows);
                }
            }

            var reference = Median(perRow[0]);
            Console.WriteLine();
            Console.WriteLine($"#### {Title}");
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{SentenceCount} corpus sentences in arrival order; {rounds} interleaved rounds of {budget.TotalSeconds:F1} s per step, the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID; ONNX Runtime with intra-op 1 computes on the calling thread) per row, median; direct vs general embeddings: min cosine {minCosine:F7}, max abs diff {maxDiff:G3}."));
            Console.WriteLine();
            Console.WriteLine("| step (one thread, intra-op 1) | CPU µs per row (median) | vs raw Run b1 | detail |");
            Console.WriteLine("|---|---:|---:|---|");
            var records = new List<BenchmarkRecord>();
            for (var s = 0; s < steps.Length; s++)
            {
                var median = Median(perRow[s]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {steps[s].Name} | {median:F0} | {median / reference:F3}× | {steps[s].Detail} |"));
                records.Add(new BenchmarkRecord(Name, steps[s].Name, s == 0, 1, 1e6 / median, null, null, ProcessMemory.PeakRssMb(), s == 0 ? null : new Dictionary<string, double> { ["raw-ort-b1-cost"] = median / reference }, steps[s].Detail));
            }

            return records;
        }
        finally
        {
            BatchedModel.DisposeModel(model8);
            BatchedModel.DisposeModel(model32);
            File.Delete(zip);
        }
    }

    /// <summary>The calling thread's CPU time per call (wall time where the clock is missing): on a busy machine, wall time is mostly waiting for a core.</summary>
    private static double Measure(Action call, TimeSpan budget)
    {
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed < budget / 5)
        {
            call();
        }

        var calls = 0;
        var cpu = ThreadCpuTime.IsSupported ? ThreadCpuTime.NowMicroseconds() : 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < budget || calls < 3)
        {
            call();
            calls++;
        }

        var used = ThreadCpuTime.IsSupported ? ThreadCpuTime.NowMicroseconds() - cpu : watch.Elapsed.TotalMicroseconds;
        return used / calls;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static void RawRun(RawOrtEmbedder raw, long[] ids) => raw.RunTokens(ids);

    private static void RunnerRun(BatchRunner runner, long[][] tokens, int start, int count)
    {
        var order = Enumerable.Range(start, count).OrderBy(i => tokens[i].Length).ToArray();
        var rows = new RowTensor[count * 3];
        for (var s = 0; s < count; s++)
        {
            var ids = tokens[order[s]];
            rows[s * 3] = RowTensor.FromArray(ids, ids.Length);
            rows[(s * 3) + 1] = RowTensor.FromArray(Ones(ids.Length), ids.Length);
            rows[(s * 3) + 2] = RowTensor.FromArray(new long[ids.Length], ids.Length);
        }

        using var result = runner.Run(rows);
    }

    private static long[] Ones(int length)
    {
        var ones = new long[length];
        Array.Fill(ones, 1L);
        return ones;
    }
}
