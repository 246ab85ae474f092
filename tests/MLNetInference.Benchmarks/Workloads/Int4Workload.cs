using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Core.Onnx;
using MLNetInference.Models;
using MLNetInference.Optimizers.Quantization;
using MLNetInference.Optimizers.Quantization.Int4;
using MLNetInference.Optimizers.Recipes;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// P2 INT4: MiniLM fp32 under ORT_ENABLE_ALL against <c>fuse+int4-weights</c> (MatMulNBits) with each
/// <c>accuracy_level</c> (0: ORT's choice, 1: fp32 activations, 4: int8 activations) and block settings, at batch 1
/// and 16 of 128 real tokens, with the pooled-embedding cosine against fp32 over real sentences.
/// </summary>
internal sealed class Int4Workload : IWorkload
{
    private const int SequenceLength = 128;
    private const int LargeBatch = 16;

    public string Name => "p2int4";

    public string Title => "P2 INT4: MiniLM fp32 vs fuse+int4-weights (MatMulNBits) by accuracy_level (ORT_ENABLE_ALL, intra-op 1, seq 128)";

    public IReadOnlyList<BenchmarkRecord> Run(bool quick, TextWriter progress)
    {
        var sentences = quick ? 300 : 1000;
        var variants = new List<(string Name, Int4Options Options)>
        {
            ("int4-default-level0", new Int4Options { Symmetric = false, BlockSize = 16, ErrorMinimizingScales = true }),
            ("int4-default-level4", new Int4Options { Symmetric = false, BlockSize = 16, ErrorMinimizingScales = true, AccuracyLevel = 4 }),
            ("int4-b32-level4", new Int4Options { Symmetric = false, BlockSize = 32, ErrorMinimizingScales = true, AccuracyLevel = 4 }),
            ("int4-b32-sym-level4", new Int4Options { BlockSize = 32, ErrorMinimizingScales = true, AccuracyLevel = 4 }),
            ("int4-b32-level1", new Int4Options { Symmetric = false, BlockSize = 32, ErrorMinimizingScales = true, AccuracyLevel = 1 }),
        };
        if (Environment.GetEnvironmentVariable("P2INT4_VARIANTS") is { Length: > 0 } only)
        {
            var keep = only.Split(',');
            variants = variants.Where(v => keep.Contains(v.Name)).ToList();
        }

        progress.WriteLine($"  VNNI: {(CpuInt8Kernels.SaturatesFullRangeInt8Weights ? "no (x64 AVX2 without VNNI)" : "yes, or not x64")}");
        var directory = Directory.CreateTempSubdirectory("p2-int4-").FullName;
        var sessions = new List<InferenceSession>();
        var calls = new List<RawCalls>();
        try
        {
            var corpus = SentenceCorpus.Load(sentences);
            var fp32Embeddings = Embed(ModelPaths.MiniLmModel, corpus);
            var notes = new Dictionary<string, string>(StringComparer.Ordinal);
            var paths = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, options) in variants)
            {
                var timer = Stopwatch.StartNew();
                var model = OnnxModelIO.Load(ModelPaths.MiniLmModel);
                OptimizationRecipe.Parse("fuse+int4-weights").CreatePasses(new RecipeContext { Int4 = options }).Run(model);
                var path = Path.Combine(directory, name + ".onnx");
                File.WriteAllBytes(path, OnnxModelIO.ToBytes(model));
                var cosines = fp32Embeddings.Zip(Embed(path, corpus), (a, b) => (double)TensorPrimitives.CosineSimilarity<float>(a, b)).ToList();
                var nbits = model.Graph.Node.Count(n => n.OpType == "MatMulNBits");
                notes[name] = $"{name}: {nbits} MatMulNBits (block {options.BlockSize}, {(options.Symmetric ? "symmetric" : "asymmetric")}, accuracy_level {options.AccuracyLevel}), built in {timer.Elapsed.TotalSeconds:F1} s; pooled cosine vs fp32 over {sentences} sentences mean {cosines.Average():F4}, min {cosines.Min():F4}";
                progress.WriteLine($"  {notes[name]}");
                paths[name] = path;
            }

            using var sessionOptions = new SessionOptions
            {
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                IntraOpNumThreads = 1,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            };
            var fp32 = new InferenceSession(ModelPaths.MiniLmModel, sessionOptions);
            sessions.Add(fp32);
            var quantized = variants.Select(v => new InferenceSession(paths[v.Name], sessionOptions)).ToList();
            sessions.AddRange(quantized);
            var timed = RawCalls.AgainstBaseline(
                fp32, "minilm-fp32-ort", [.. variants.Select((v, i) => ($"minilm-{v.Name}", quantized[i]))], LargeBatch, SequenceLength, calls);

            return new InterleavedRun(timed).Execute(
                Name,
                quick ? 15 : 50,
                v => notes.FirstOrDefault(n => v.Name.StartsWith($"minilm-{n.Key}-b", StringComparison.Ordinal)).Value ?? "fp32: the original MiniLM; ORT_ENABLE_ALL, intra-op 1",
                progress);
        }
        finally
        {
            foreach (var call in calls)
            {
                call.Dispose();
            }

            foreach (var session in sessions)
            {
                session.Dispose();
            }

            Directory.Delete(directory, recursive: true);
        }
    }

    private static List<float[]> Embed(string modelPath, IReadOnlyList<string> sentences)
    {
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(sentences.Select(s => new TextRow { Text = s }));
        var embedded = ml.Transforms.EmbedSentences(nameof(TextRow.Text), modelPath, ModelPaths.MiniLmVocab).Fit(data).Transform(data);
        return DataViewReader.ReadVectors<float>(embedded, "embedding");
    }
}
