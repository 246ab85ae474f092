using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Models;
using MLNetInference.Core.Onnx;
using MLNetInference.Optimizers.Recipes;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// P2R INT8 recipes: MiniLM fp32 under ONNX Runtime ORT_ENABLE_ALL against the recipes <c>fuse+int8-dynamic</c>
/// (fused attention as <c>com.microsoft</c> QAttention, the other weight MatMuls DynamicQuantizeMatMul) and
/// <c>fuse+int8-dynamic-sensitive</c> (the most error-sensitive MatMul smoothed or kept float), under the same session
/// options, at batch 1 and 16 of 128 real tokens, plus each recipe's embedding cosine against fp32 over 1,000 sentences.
/// </summary>
internal sealed class Int8RecipeWorkload : IWorkload
{
    private const int SequenceLength = 128;
    private const int LargeBatch = 16;
    private const int CosineSentences = 1000;
    private static readonly string[] Recipes = ["fuse+int8-dynamic", "fuse+int8-dynamic-sensitive"];

    public string Name => "p2r";

    public string Title => "P2R INT8 recipes: MiniLM fp32 vs fuse+int8-dynamic (QAttention) and fuse+int8-dynamic-sensitive (ORT_ENABLE_ALL, intra-op 1, seq 128)";

    public IReadOnlyList<BenchmarkRecord> Run(bool quick, TextWriter progress)
    {
        var rounds = quick ? 30 : 100;
        var directory = Directory.CreateTempSubdirectory("p2r-int8-").FullName;
        try
        {
            var paths = new Dictionary<string, string>(StringComparer.Ordinal);
            var notes = new Dictionary<string, string>(StringComparer.Ordinal);
            var fp32Embeddings = Embed(ModelPaths.MiniLmModel, SentenceCorpus.Load(CosineSentences));
            foreach (var recipe in Recipes)
            {
                var timer = Stopwatch.StartNew();
                var model = OnnxModelIO.Load(ModelPaths.MiniLmModel);
                OptimizationRecipe.Parse(recipe).CreatePasses().Run(model);
                var path = Path.Combine(directory, recipe + ".onnx");
                File.WriteAllBytes(path, OnnxModelIO.ToBytes(model));
                var seconds = timer.Elapsed.TotalSeconds;
                var embeddings = Embed(path, SentenceCorpus.Load(CosineSentences));
                var cosines = fp32Embeddings.Zip(embeddings, (a, b) => (double)TensorPrimitives.CosineSimilarity<float>(a, b)).ToList();
                if (cosines.Count != CosineSentences)
                {
                    throw new InvalidOperationException($"Expected {CosineSentences} embeddings for '{recipe}', got {cosines.Count}.");
                }

                var ops = string.Join(", ", model.Graph.Node.GroupBy(n => n.OpType).Where(g => g.Key is "QAttention" or "DynamicQuantizeMatMul" or "MatMul").Select(g => $"{g.Count()} {g.Key}"));
                notes[recipe] = $"{recipe}: {model.Graph.Node.Count} nodes ({ops}), optimized in {seconds:F1} s; cosine vs fp32 over {CosineSentences} sentences mean {cosines.Average():F4}, min {cosines.Min():F4}";
                progress.WriteLine($"  {notes[recipe]}");
                paths[recipe] = path;
            }

            using var options = SingleThreadedSession.Options();
            using var fp32 = new InferenceSession(ModelPaths.MiniLmModel, options);
            var sessions = Recipes.Select(r => new InferenceSession(paths[r], options)).ToList();
            var calls = new List<RawCalls>();
            try
            {
                var variants = RawCalls.AgainstBaseline(
                    fp32, "fp32-ort", [.. Recipes.Select((r, i) => (r, sessions[i]))], LargeBatch, SequenceLength, calls);

                var note = $"MiniLM, {SequenceLength} real tokens per row; all models in InferenceSessions with identical options " +
                    "(ORT_ENABLE_ALL, intra-op 1, inter-op 1, sequential); recipes through OptimizationRecipe; embedding cosine vs fp32 through " +
                    $"the text pipeline (mean pooling); {rounds} interleaved rounds (b1: 4 calls per slice, b16: 1 call); latency per Run call.";
                return new InterleavedRun(variants).Execute(
                    Name,
                    rounds,
                    v => notes.FirstOrDefault(n => v.Name.StartsWith(n.Key + "-b", StringComparison.Ordinal)).Value is { } specific ? $"{specific}. {note}" : note,
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
            }
        }
        finally
        {
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
