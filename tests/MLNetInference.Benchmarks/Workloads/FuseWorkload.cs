using Microsoft.ML.OnnxRuntime;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Core.Onnx;
using MLNetInference.Models;
using MLNetInference.Optimizers.Recipes;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// P-fuse: MiniLM fp32 under ONNX Runtime's own optimization (ORT_ENABLE_ALL) against the <c>fuse</c> recipe's model
/// under the same options, at batch 1 and 16 of 128 real tokens: <c>fuse</c> as it ships (LayerNormalization, Gelu,
/// Attention, Gemm; no SkipLayerNormalization or BiasGelu on CPU) and <c>fuse</c> with those two (the form before the
/// gate, which ran at 0.93x).
/// </summary>
internal sealed class FuseWorkload : IWorkload
{
    private const int SequenceLength = 128;
    private const int LargeBatch = 16;

    public string Name => "fuse";

    public string Title => "P-fuse: MiniLM fp32, ORT's own optimization of the original vs the fuse recipe (ORT_ENABLE_ALL, intra-op 1, seq 128)";

    public IReadOnlyList<BenchmarkRecord> Run(bool quick, TextWriter progress)
    {
        var rounds = quick ? 20 : 60;
        var directory = Directory.CreateTempSubdirectory("p-fuse-").FullName;
        try
        {
            var variants = new (string Name, RecipeContext Context)[]
            {
                ("fuse", new RecipeContext()),
                ("fuse-with-skiplayernorm-biasgelu", new RecipeContext { FuseSkipLayerNormalizationAndBiasGelu = true }),
            };
            var paths = new Dictionary<string, string>(StringComparer.Ordinal);
            var notes = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, context) in variants)
            {
                var model = OnnxModelIO.Load(ModelPaths.MiniLmModel);
                OptimizationRecipe.Parse("fuse").CreatePasses(context).Run(model);
                var path = Path.Combine(directory, name + ".onnx");
                File.WriteAllBytes(path, OnnxModelIO.ToBytes(model));
                paths[name] = path;
                var ops = string.Join(", ", model.Graph.Node.GroupBy(n => n.OpType).OrderByDescending(g => g.Count()).Select(g => $"{g.Count()} {g.Key}"));
                notes[name] = $"{name}: {model.Graph.Node.Count} nodes ({ops})";
                progress.WriteLine($"  {notes[name]}");
            }

            using var options = SingleThreadedSession.Options();
            using var original = new InferenceSession(ModelPaths.MiniLmModel, options);
            var sessions = variants.Select(v => new InferenceSession(paths[v.Name], options)).ToList();
            var calls = new List<RawCalls>();
            try
            {
                var benchmarkVariants = RawCalls.AgainstBaseline(
                    original, "ort-enable-all-original", [.. variants.Select((v, i) => (v.Name, sessions[i]))], LargeBatch, SequenceLength, calls);

                var note = $"MiniLM fp32, {SequenceLength} real tokens per row; every model in an InferenceSession with identical options " +
                    $"(ORT_ENABLE_ALL, intra-op 1, inter-op 1, sequential); {rounds} interleaved rounds (b1: 4 calls per slice, b16: 1 call); latency per Run call.";
                return new InterleavedRun(benchmarkVariants).Execute(
                    Name,
                    rounds,
                    v => notes.FirstOrDefault(n => v.Name == n.Key + "-b1" || v.Name == n.Key + "-b16").Value is { } specific ? $"{specific}. {note}" : note,
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
}
